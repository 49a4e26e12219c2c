// Swagger UI on the OpenAPI document named by data-url; kept out of the page so the page's CSP
// needs no inline script.
(function () {
  var mount = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: mount.dataset.url,
    domNode: mount,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
  });
})();
