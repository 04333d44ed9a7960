/* The bug page and the filing form (no inline script: the CSP allows 'self' only).
 *
 * - Edit mode: the details show as text with an "Edit" button (button#edit-fields) that
 *   opens form#edit-form; without JavaScript the form is simply shown. A page answering a
 *   refused save or a mid-air collision (data-editing="1") opens in edit mode.
 * - [data-focus-on-load] (the error summary, the mid-air notice) gets focus on load.
 * - textarea[data-preview]: "Write" / "Preview" tabs (ARIA tabs, arrow keys); the preview
 *   is rendered by the server (the form's data-preview-url), so it is what will be stored.
 */
(function () {
  "use strict";
  var csrfMeta = document.querySelector("meta[name=csrf-token]");
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  // -- edit mode ----------------------------------------------------------------------
  var details = document.getElementById("details");
  var editButton = document.getElementById("edit-fields");
  var editForm = document.getElementById("edit-form");
  var values = document.getElementById("field-values");
  if (details && editButton && editForm && values) {
    var cancel = document.getElementById("cancel-edit");
    var setEditing = function (on, focus) {
      editForm.hidden = !on;
      values.hidden = on;
      editButton.setAttribute("aria-expanded", on ? "true" : "false");
      editButton.textContent = on ? "Close editing" : "Edit";
      if (on && focus) {
        var first = editForm.querySelector("select, input:not([type=hidden]), textarea");
        if (first) { first.focus(); }
      }
    };
    editButton.hidden = false;
    if (cancel) {
      cancel.hidden = false;
      cancel.addEventListener("click", function () {
        editForm.reset();
        setEditing(false);
        editButton.focus();
      });
    }
    editButton.addEventListener("click", function () {
      setEditing(editForm.hidden, true);
    });
    setEditing(details.getAttribute("data-editing") === "1", false);
  }

  var focusMe = document.querySelector("[data-focus-on-load]");
  if (focusMe) {
    focusMe.scrollIntoView({ block: "start" });
    focusMe.focus({ preventScroll: true });
  }

  // -- Markdown preview tabs ------------------------------------------------------------
  function setUpPreview(textarea, index) {
    var url = textarea.form && textarea.form.getAttribute("data-preview-url");
    if (!url) { return; }
    var base = (textarea.id || "md" + index);
    var tabs = document.createElement("div");
    tabs.className = "md-tabs";
    tabs.setAttribute("role", "tablist");
    tabs.setAttribute("aria-label", "Comment editor");
    var write = document.createElement("button");
    var show = document.createElement("button");
    var panel = document.createElement("div");
    [[write, "Write", "write"], [show, "Preview", "preview"]].forEach(function (t) {
      t[0].type = "button";
      t[0].id = base + "-tab-" + t[2];
      t[0].textContent = t[1];
      t[0].setAttribute("role", "tab");
      tabs.appendChild(t[0]);
    });
    panel.id = base + "-preview";
    panel.className = "md-preview comment-body";
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", show.id);
    panel.setAttribute("tabindex", "0");
    panel.setAttribute("aria-live", "polite");
    panel.hidden = true;
    write.setAttribute("aria-controls", textarea.id);
    show.setAttribute("aria-controls", panel.id);
    textarea.parentNode.insertBefore(tabs, textarea);
    textarea.parentNode.insertBefore(panel, textarea.nextSibling);

    function select(which, focus) {
      var preview = which === show;
      write.setAttribute("aria-selected", preview ? "false" : "true");
      show.setAttribute("aria-selected", preview ? "true" : "false");
      write.tabIndex = preview ? -1 : 0;
      show.tabIndex = preview ? 0 : -1;
      textarea.hidden = preview;
      panel.hidden = !preview;
      if (focus) { which.focus(); }
      if (preview) { render(); }
    }

    function render() {
      panel.textContent = "Rendering the preview…";
      var body = new URLSearchParams();
      body.set("text", textarea.value);
      body.set("bug_id", textarea.getAttribute("data-preview") || "");
      fetch(url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (answer) {
        if (!answer.ok) { panel.textContent = answer.data.error || answer.data.message || "No preview."; return; }
        if (!textarea.value.trim()) { panel.textContent = "Nothing to preview."; return; }
        panel.innerHTML = answer.data.html; // sanitised by the server (bugzot/markup.py)
      }).catch(function () {
        panel.textContent = "The preview could not be loaded.";
      });
    }

    write.addEventListener("click", function () { select(write, false); });
    show.addEventListener("click", function () { select(show, false); });
    tabs.addEventListener("keydown", function (e) {
      if (["ArrowLeft", "ArrowRight", "Home", "End"].indexOf(e.key) < 0) { return; }
      e.preventDefault();
      var next = (e.key === "Home") ? write : (e.key === "End") ? show
        : (document.activeElement === write ? show : write);
      select(next, true);
    });
    select(write, false);
  }

  Array.prototype.forEach.call(document.querySelectorAll("textarea[data-preview]"), setUpPreview);
}());
