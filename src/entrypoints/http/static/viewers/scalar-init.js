// Scalar's API reference on the OpenAPI document named by data-url, with nothing fetched from
// elsewhere: no web fonts, no proxy, no telemetry (the page's CSP allows only this origin).
// The mount is not #api-reference: Scalar mounts that one by itself with its defaults.
(function () {
  var mount = document.getElementById("scalar-reference");
  window.Scalar.createApiReference(mount, {
    url: mount.dataset.url,
    withDefaultFonts: false,
    proxyUrl: "",
    telemetry: false,
    hideClientButton: true,
  });
})();
