// Behaviour the templates ask for with data attributes, so no page needs an inline script or an
// on* handler (the Content-Security-Policy allows scripts from files and nonces only).
document.addEventListener("click", function (event) {
  var trigger = event.target.closest("[data-print]");
  if (trigger) {
    event.preventDefault();
    window.print();
  }
});
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-submit-on-change]")) {
    event.target.form.submit();
  }
});
// django-import-export's "select all fields" toggle (templates/admin/import_export/export.html).
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-select-all-toggle]") && window.onSelectToggleChange) {
    window.onSelectToggleChange(event);
  }
});
