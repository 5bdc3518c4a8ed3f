/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  var doc = document;
  doc.documentElement.className += " js";

  // Filters apply as soon as they change (the "Apply filters" button is for no-JS browsers).
  var search = doc.getElementById("search");
  if (search) {
    doc.addEventListener("change", function (event) {
      var el = event.target;
      if (el.form === search && el.name !== "q") {
        if (search.requestSubmit) { search.requestSubmit(); } else { search.submit(); }
      }
    });
  }

  // On a phone the filters start folded so the results come first.
  var panel = doc.getElementById("filter-panel");
  if (panel && window.matchMedia && window.matchMedia("(max-width: 50rem)").matches) {
    panel.removeAttribute("open");
  }

  // Contribute: warn before sending a file over the limit; no double submits.
  var form = doc.querySelector("form.contribute");
  if (form) {
    var max = parseInt(form.getAttribute("data-max-bytes"), 10);
    var input = form.querySelector("input[type=file]");
    var warning = doc.getElementById("file-warning");
    var tooBig = function () {
      var file = input && input.files && input.files[0];
      return file && max && file.size > max ? file : null;
    };
    input.addEventListener("change", function () {
      var file = tooBig();
      warning.hidden = !file;
      // The sentence comes translated from the page (data-too-large, with {name} {size} {limit}).
      var sentence = form.getAttribute("data-too-large") || "{name} is {size} MB; the limit is {limit} MB.";
      warning.textContent = file ? sentence.replace("{name}", file.name).replace("{size}", Math.ceil(file.size / 1e6)).replace("{limit}", Math.round(max / 1e6)) : "";
    });
    form.addEventListener("submit", function (event) {
      if (tooBig()) { event.preventDefault(); input.focus(); return; }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      button.textContent = form.getAttribute("data-uploading") || "Uploading…";
    });
  }

  // Exchange pages: the key typed in one form fills the key fields of the next pages, from this
  // tab's sessionStorage only (cleared when the tab closes; never sent anywhere but in the forms).
  var remembered = doc.querySelectorAll("input[data-remember]");
  if (remembered.length) {
    var store = null;
    try { store = window.sessionStorage; } catch (e) { store = null; }
    var saved = store ? store.getItem("kb-key") : null;
    Array.prototype.forEach.call(remembered, function (input) {
      if (saved && !input.value) { input.value = saved; }
      if (input.form) {
        input.form.addEventListener("submit", function () { if (store && input.value) { store.setItem("kb-key", input.value); } });
      }
    });
    Array.prototype.forEach.call(doc.querySelectorAll("[data-forget-key]"), function (button) {
      button.hidden = !store;
      button.addEventListener("click", function () {
        store.removeItem("kb-key");
        Array.prototype.forEach.call(remembered, function (input) { input.value = ""; });
        button.textContent = button.getAttribute("data-forgotten") || "Forgotten";
      });
    });
  }

  var summary = doc.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
