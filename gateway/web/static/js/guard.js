// Until the page's module is ready, a form must not be submitted natively (it would reload the page).
document.addEventListener("submit", function (e) {
  if (!document.body.dataset.ready) e.preventDefault();
}, true);
