// 数据概览: embeds one Superset dashboard per tab (on first opening) through the embedded SDK; the guest
// token comes from the app (/bi/guest-token/<slug>), scoped to the user's agencies by the server.
(function () {
  var root = document.getElementById("bi-overview");
  if (!root || !window.supersetEmbeddedSdk) { return; }
  var superset = root.dataset.superset, tokenUrl = root.dataset.tokenUrl, embedded = {};
  var error = document.getElementById("bi-error");

  function fetchToken(slug) {
    return fetch(tokenUrl.replace("__slug__", encodeURIComponent(slug)), {credentials: "same-origin"})
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.message || r.status); }
          return body;
        });
      });
  }

  function embed(slug) {
    if (embedded[slug]) { return; }
    embedded[slug] = true;
    var mount = document.getElementById("bi-board-" + slug);
    fetchToken(slug).then(function (first) {
      return window.supersetEmbeddedSdk.embedDashboard({
        id: first.uuid, supersetDomain: superset, mountPoint: mount,
        fetchGuestToken: function () { return fetchToken(slug).then(function (b) { return b.token; }); },
        dashboardUiConfig: {hideTitle: false, filters: {expanded: false}}
      });
    }).then(function () {
      var frame = mount.querySelector("iframe");
      if (frame) { frame.style.width = "100%"; frame.style.height = "100%"; frame.style.border = "0"; }
      mount.dataset.embedded = "1";
    }).catch(function (e) {
      embedded[slug] = false;
      error.textContent = e.message;
      error.hidden = false;
    });
  }

  document.querySelectorAll(".bi-tab").forEach(function (tab) {
    tab.addEventListener("click", function (ev) {
      ev.preventDefault();
      var slug = tab.dataset.slug;
      document.querySelectorAll("#bi-tabs li").forEach(function (li) { li.classList.remove("active"); });
      tab.parentElement.classList.add("active");
      document.querySelectorAll(".bi-board").forEach(function (b) { b.hidden = b.dataset.slug !== slug; });
      embed(slug);
    });
  });
  var first = document.querySelector(".bi-board");
  if (first) { embed(first.dataset.slug); }
})();
