// 综合统计 → 自定义查询: builds the query definition (dictionary keys, filters, grouping) from the page and
// sends it to /api/v1/stats/custom (preview, saved queries) or /stats/custom/output (下载/打印). The server
// checks every key and value; nothing here is SQL.
(function () {
  var root = document.getElementById('stats-custom');
  if (!root) return;
  var api = root.dataset.api, csrf = root.dataset.csrf;
  var OPS = JSON.parse(root.dataset.ops), BY_TYPE = JSON.parse(root.dataset.opsByType);
  var PII_OPS = JSON.parse(root.dataset.piiOps), T = JSON.parse(root.dataset.texts);  // texts in the user's language
  var fmt = function (text, n) { return text.replace('%(n)s', n); };
  var $ = function (id) { return document.getElementById(id); };
  var meta = {};
  document.querySelectorAll('.pick-item').forEach(function (b) {
    meta[b.value] = {type: b.dataset.type, pii: b.dataset.pii, label: b.dataset.label};
  });

  function show(id, text) { var el = $(id); el.textContent = text || ''; el.style.display = text ? '' : 'none'; }

  function addFilter(key, op, value) {
    var m = meta[key]; if (!m) return;
    var row = document.createElement('div');
    row.className = 'form-inline filter-row'; row.dataset.item = key; row.style.marginBottom = '4px';
    var label = document.createElement('span'); label.textContent = m.label + ' '; label.className = 'filter-label';
    var sel = document.createElement('select'); sel.className = 'form-control input-sm filter-op';
    var ops = (m.pii === 'id_number' || m.pii === 'phone') ? PII_OPS : BY_TYPE[m.type];
    ops.forEach(function (o) { var opt = document.createElement('option'); opt.value = o; opt.textContent = OPS[o]; sel.appendChild(opt); });
    var v1 = document.createElement('input'); v1.className = 'form-control input-sm filter-value'; v1.size = 14;
    var v2 = document.createElement('input'); v2.className = 'form-control input-sm filter-value2'; v2.size = 12;
    var del = document.createElement('button'); del.type = 'button'; del.className = 'btn btn-link btn-xs'; del.textContent = T.remove;
    del.addEventListener('click', function () { row.remove(); });
    function sync() {
      var o = sel.value; v1.style.display = (o === 'empty' || o === 'not_empty') ? 'none' : '';
      v2.style.display = o === 'range' ? '' : 'none';
      v1.placeholder = o === 'in' ? T.comma : (m.type === 'date' ? 'YYYY-MM-DD' : (m.type === 'bool' ? T.yes_no : ''));
    }
    sel.addEventListener('change', sync);
    if (op) sel.value = op;
    if (value !== undefined && value !== null) {
      if (Array.isArray(value) && op === 'range') { v1.value = value[0] || ''; v2.value = value[1] || ''; }
      else if (Array.isArray(value)) { v1.value = value.join(','); } else { v1.value = value; }
    }
    sync();
    [label, sel, v1, v2, del].forEach(function (e) { row.appendChild(e); });
    $('filters').appendChild(row);
  }

  function definition() {
    var items = [], groups = [], filters = [];
    document.querySelectorAll('.pick-item:checked').forEach(function (b) { items.push(b.value); });
    Array.prototype.forEach.call($('group-by').selectedOptions, function (o) { groups.push(o.value); });
    document.querySelectorAll('.filter-row').forEach(function (r) {
      var op = r.querySelector('.filter-op').value, v1 = r.querySelector('.filter-value').value;
      var v2 = r.querySelector('.filter-value2').value, value = v1;
      if (op === 'range') value = [v1, v2];
      if (op === 'in') value = v1.split(/[,，]/).map(function (s) { return s.trim(); }).filter(Boolean);
      if (op === 'empty' || op === 'not_empty') value = null;
      filters.push({item: r.dataset.item, op: op, value: value});
    });
    return {items: items, filters: filters, group_by: groups};
  }

  function scope() { return {agency: $('s-agency').value, subtree: $('s-subtree').value}; }

  function call(method, path, body) {
    var opts = {method: method, credentials: 'same-origin', headers: {'X-CSRFToken': csrf, 'Accept': 'application/json'}};
    if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    return fetch(api + path, opts).then(function (resp) {
      return resp.json().then(function (data) { if (!resp.ok) throw new Error(data.message || (T.error + ' ' + resp.status)); return data; });
    });
  }

  function render(res) {
    var t = $('preview-table'); t.replaceChildren();
    var head = t.createTHead().insertRow();
    res.headers.forEach(function (h) { var th = document.createElement('th'); th.textContent = h; head.appendChild(th); });
    var body = t.createTBody();
    res.rows.forEach(function (r, i) {
      var tr = body.insertRow();
      r.forEach(function (v, j) {
        var td = tr.insertCell(); var text = v === null ? '' : String(v);
        if (j === 0 && res.person_ids[i]) { var a = document.createElement('a'); a.href = '/person/' + res.person_ids[i]; a.textContent = text || T.empty; td.appendChild(a); }
        else td.textContent = text;
      });
    });
    show('custom-info', (res.rows.length ? fmt(T.shown, res.rows.length) : T.none) +
         (res.truncated ? fmt(T.cut, res.limit) : ''));
  }

  $('custom-scope').addEventListener('submit', function (ev) { ev.preventDefault(); });
  $('add-filter').addEventListener('click', function () { addFilter($('filter-item').value); });
  $('run-preview').addEventListener('click', function () {
    show('custom-error'); var s = scope();
    call('POST', '/preview', {definition: definition(), agency: s.agency, subtree: s.subtree === '1'})
      .then(render).catch(function (e) { show('custom-info'); show('custom-error', e.message); });
  });
  function output(fmt) {
    var s = scope();
    $('output-definition').value = JSON.stringify(definition()); $('output-fmt').value = fmt;
    $('output-agency').value = s.agency; $('output-subtree').value = s.subtree;
    $('output-form').target = fmt === 'pdf' ? '_blank' : '';
    $('output-form').submit();
  }
  $('run-xlsx').addEventListener('click', function () { output('xlsx'); });
  $('run-pdf').addEventListener('click', function () { output('pdf'); });

  function load(d) {
    document.querySelectorAll('.pick-item').forEach(function (b) { b.checked = d.items.indexOf(b.value) >= 0; });
    Array.prototype.forEach.call($('group-by').options, function (o) { o.selected = d.group_by.indexOf(o.value) >= 0; });
    $('filters').replaceChildren();
    d.filters.forEach(function (f) { addFilter(f.item, f.op, f.value); });
  }
  function refresh() {
    call('GET', '/saved').then(function (data) {
      var ul = $('saved-list'); ul.replaceChildren();
      data.result.forEach(function (q) {
        var li = document.createElement('li'); li.dataset.savedId = q.id;
        var name = document.createElement('a'); name.href = '#'; name.textContent = q.name; name.className = 'saved-load';
        name.addEventListener('click', function (ev) { ev.preventDefault(); load(q.definition); $('save-name').value = q.name; });
        var ren = document.createElement('button'); ren.type = 'button'; ren.className = 'btn btn-link btn-xs saved-rename'; ren.textContent = T.rename;
        ren.addEventListener('click', function () {
          var n = window.prompt(T.new_name, q.name); if (!n) return;
          call('PUT', '/saved/' + q.id, {name: n, version: q.version}).then(refresh).catch(function (e) { show('custom-error', e.message); });
        });
        var del = document.createElement('button'); del.type = 'button'; del.className = 'btn btn-link btn-xs saved-delete'; del.textContent = T.remove;
        del.addEventListener('click', function () {
          if (!window.confirm(T.confirm_delete.replace('%(name)s', q.name))) return;
          call('DELETE', '/saved/' + q.id).then(refresh).catch(function (e) { show('custom-error', e.message); });
        });
        [name, ren, del].forEach(function (e) { li.appendChild(e); });
        ul.appendChild(li);
      });
    }).catch(function (e) { show('custom-error', e.message); });
  }
  $('save-query').addEventListener('click', function () {
    show('custom-error');
    call('POST', '/saved', {name: $('save-name').value, definition: definition()})
      .then(function () { show('custom-info', T.saved); refresh(); }).catch(function (e) { show('custom-error', e.message); });
  });
  refresh();
})();
