/* 正文 editor: a small toolbar over a contenteditable box; the HTML goes back into the
   textarea on submit and is sanitised by the server (nh3) whatever the browser sends.
   No HTML string is ever written into the page (no innerHTML/outerHTML/insertAdjacentHTML/
   document.write): the stored 正文 is parsed in an inert document (DOMParser runs no script,
   loads nothing) and copied over element by element with createElement/textContent, keeping
   only the tags and attributes the server keeps (ops_app/richtext.py: TAGS, ATTRIBUTES). */
(function () {
  var BUTTONS = [["bold", "加粗", "B", "b"], ["italic", "斜体", "I", "i"], ["underline", "下划线", "U", "u"],
                 ["insertUnorderedList", "项目符号", "•"], ["insertOrderedList", "编号", "1."],
                 ["formatBlock:h4", "小标题", "H"], ["formatBlock:p", "正文段落", "¶"], ["removeFormat", "清除格式", "⌫"]];
  var EN = {"bold": "Bold", "italic": "Italic", "underline": "Underline", "insertUnorderedList": "Bullets",
            "insertOrderedList": "Numbering", "formatBlock:h4": "Heading", "formatBlock:p": "Paragraph",
            "removeFormat": "Clear formatting"};
  var TAGS = ["p", "br", "b", "strong", "i", "em", "u", "s", "h3", "h4", "h5", "ul", "ol", "li", "blockquote",
              "table", "thead", "tbody", "tr", "th", "td", "a", "span", "div", "hr"];
  var ATTRIBUTES = {"a": ["href", "title"], "td": ["colspan", "rowspan"], "th": ["colspan", "rowspan"]};
  var SAFE_URL = /^(https?:|mailto:)/i;
  var DROP_WITH_CONTENT = ["script", "style", "template", "iframe", "object", "embed", "noscript"];

  function copyAttributes(from, to, tag) {
    (ATTRIBUTES[tag] || []).forEach(function (name) {
      var value = from.getAttribute(name);
      if (value === null || (name === "href" && !SAFE_URL.test(value.trim()))) { return; }
      to.setAttribute(name, value);
    });
  }

  /* Copies the children of `from` (inert document) into `to` (this page), allow-listed. */
  function copyChildren(from, to) {
    Array.prototype.forEach.call(from.childNodes, function (node) {
      if (node.nodeType === Node.TEXT_NODE) {
        to.appendChild(document.createTextNode(node.nodeValue));
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) { return; }  /* comments, processing instructions */
      var tag = node.localName;
      if (DROP_WITH_CONTENT.indexOf(tag) >= 0) { return; }
      if (TAGS.indexOf(tag) < 0) { copyChildren(node, to); return; }  /* unknown tag: keep its text */
      var el = document.createElement(tag);
      copyAttributes(node, el, tag);
      copyChildren(node, el);
      to.appendChild(el);
    });
  }

  function load(box, html) {
    var inert = new DOMParser().parseFromString(html || "", "text/html");
    copyChildren(inert.body, box);
  }

  function button(b, english, box) {
    var btn = document.createElement("button");
    btn.type = "button"; btn.className = "btn btn-default"; btn.title = english ? EN[b[0]] : b[1];
    var face = document.createElement(b[3] || "span");
    face.textContent = b[2];
    btn.appendChild(face);
    btn.addEventListener("click", function () {
      var parts = b[0].split(":");
      box.focus();
      document.execCommand(parts[0], false, parts[1] || null);
    });
    return btn;
  }

  function setup(area) {
    var english = area.getAttribute("data-locale") === "en";  /* the page's language (ops_app.i18n) */
    var box = document.createElement("div"), bar = document.createElement("div");
    bar.className = "btn-group btn-group-xs richtext-toolbar";
    BUTTONS.forEach(function (b) { bar.appendChild(button(b, english, box)); });
    box.className = "form-control richtext-box"; box.contentEditable = "true";
    box.id = area.id + "-editor";
    load(box, area.value);
    area.style.display = "none";
    area.removeAttribute("required");  /* hidden: the browser could not point at it; the server checks */
    area.parentNode.insertBefore(bar, area);
    area.parentNode.insertBefore(box, area);
    /* Reading the editor's markup back is no sink; the server sanitises it again (nh3). */
    area.form.addEventListener("submit", function () { area.value = box.innerHTML; });
  }
  document.querySelectorAll("textarea[data-richtext]").forEach(setup);
  /* 以文字模板增加: choosing a template reloads the form with it filled in */
  var tpl = document.getElementById("template_id");
  if (tpl && tpl.dataset.reload) {
    tpl.addEventListener("change", function () {
      window.location.search = "?template_id=" + encodeURIComponent(tpl.value);
    });
  }
})();
