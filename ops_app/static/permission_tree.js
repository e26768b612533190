/* 用户权限 tree: checking a module checks its whole branch and its ancestors; unchecking unchecks the branch. */
(function () {
  var tree = document.getElementById("perm-tree");
  if (!tree) { return; }
  function boxesBelow(li) { return li.querySelectorAll("ul input[type=checkbox]"); }
  tree.addEventListener("change", function (ev) {
    var box = ev.target;
    if (box.type !== "checkbox") { return; }
    var li = box.closest("li");
    boxesBelow(li).forEach(function (b) { b.checked = box.checked; });
    if (box.checked) {
      var up = li.parentElement.closest("li");
      while (up) {
        up.querySelector(":scope > label input[type=checkbox]").checked = true;
        up = up.parentElement.closest("li");
      }
    }
  });
})();
