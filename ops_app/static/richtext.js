/* 正文 editor: a small toolbar over a contenteditable box; the HTML goes back into the
   textarea on submit and is sanitised by the server (nh3) whatever the browser sends. */
(function () {
  var BUTTONS = [["bold", "加粗", "<b>B</b>"], ["italic", "斜体", "<i>I</i>"], ["underline", "下划线", "<u>U</u>"],
                 ["insertUnorderedList", "项目符号", "•"], ["insertOrderedList", "编号", "1."],
                 ["formatBlock:h4", "小标题", "H"], ["formatBlock:p", "正文段落", "¶"], ["removeFormat", "清除格式", "⌫"]];
  var EN = {"bold": "Bold", "italic": "Italic", "underline": "Underline", "insertUnorderedList": "Bullets",
            "insertOrderedList": "Numbering", "formatBlock:h4": "Heading", "formatBlock:p": "Paragraph",
            "removeFormat": "Clear formatting"};
  function setup(area) {
    var english = area.getAttribute("data-locale") === "en";  /* the page's language (ops_app.i18n) */
    var box = document.createElement("div"), bar = document.createElement("div");
    bar.className = "btn-group btn-group-xs richtext-toolbar";
    BUTTONS.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button"; btn.className = "btn btn-default"; btn.title = english ? EN[b[0]] : b[1]; btn.innerHTML = b[2];
      btn.addEventListener("click", function () {
        var parts = b[0].split(":");
        box.focus();
        document.execCommand(parts[0], false, parts[1] || null);
      });
      bar.appendChild(btn);
    });
    box.className = "form-control richtext-box"; box.contentEditable = "true";
    box.id = area.id + "-editor"; box.innerHTML = area.value;
    area.style.display = "none";
    area.removeAttribute("required");  /* hidden: the browser could not point at it; the server checks */
    area.parentNode.insertBefore(bar, area);
    area.parentNode.insertBefore(box, area);
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
