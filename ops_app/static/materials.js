// 档案材料: 全选 of the materials not yet archived (the batch 鉴别 / 归档 form).
(function () {
  var all = document.getElementById('select-all');
  if (!all) return;
  all.addEventListener('change', function () {
    document.querySelectorAll('.select-material').forEach(function (b) { b.checked = all.checked; });
  });
})();
