// Starts Swagger UI on the API's own OpenAPI document (named by the page's
// data-openapi attribute): a script file, not an inline one, so that the
// Content-Security-Policy (script-src 'self') holds on this page too.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // no request leaves the site
    persistAuthorization: false,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
  });
})();
