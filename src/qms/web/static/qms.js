/* qms.js: the few behaviours of the qms pages. Plain ES2017, no dependencies; every page
   works without it (and without htmx), this only adds to them. Load it with
   <script src="/static/qms.js" defer></script> (the CSP is script-src 'self': no inline code).

   1. htmx requests carry the header X-CSRF-Token, read from <meta name="csrf-token"
      content="..."> at each request (a swap may have replaced the meta).
   2. data-confirm="text" on a form, or on its submit button, asks confirm(text) before the
      form is submitted (irreversible steps); cancelling stops the submission, htmx's too.
      On another element (a link, a button outside a form, a button making its own htmx
      request) it asks on the click.
   3. <input type="file" data-autosubmit> submits its form as soon as a file is chosen. */
(function () {
  "use strict";
  var lastButton = null; // the submit button last clicked, where event.submitter is missing
  var confirmed = null;  // a submit button whose click was confirmed: not asked again on submit

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && event.detail && event.detail.headers) {
      event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content") || "";
    }
  });

  var HX = "[hx-get],[hx-post],[hx-put],[hx-patch],[hx-delete]";
  HX += "," + HX.replace(/\[hx-/g, "[data-hx-");

  function isSubmitButton(el) {
    return !!el && !!el.form && (el.type === "submit" || el.type === "image");
  }

  function stop(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  // Capture phase on window: runs before htmx's own listeners on the form or element.
  window.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var button = target && target.closest("button, input[type=submit], input[type=image]");
    lastButton = isSubmitButton(button) ? button : null;
    confirmed = null;
    var el = target && target.closest("[data-confirm]");
    if (!el || el.tagName === "FORM") return;
    if (isSubmitButton(el) && !el.matches(HX)) return; // asked on submit (htmx's own too)
    if (!window.confirm(el.getAttribute("data-confirm"))) stop(event);
    else confirmed = el; // without htmx, the click goes on to submit the form
  }, true);

  window.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = "submitter" in event ? event.submitter : lastButton;
    var text = submitter && submitter === confirmed ? null :
      (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    lastButton = confirmed = null;
    if (text && !window.confirm(text)) stop(event);
  }, true);

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-autosubmit]")) return;
    if (!input.form || !input.files || input.files.length === 0) return;
    if (input.form.requestSubmit) input.form.requestSubmit(); // fires submit: htmx, confirm
    else input.form.submit();
  });
})();
