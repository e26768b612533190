// The print page's button (a static script: the CSP allows no inline handlers).
document.getElementById("print-now").addEventListener("click", function () { window.print(); });
