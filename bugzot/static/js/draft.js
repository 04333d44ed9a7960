/* Keeps half-written forms in localStorage (the "web storage" idea of the seed).
 *
 * <form data-draft="KEY">: every change is saved under "bugzot:draft:KEY".
 *   data-draft-fields="a b"  only those fields are kept (the bug page keeps the comment);
 *   data-draft-restore="1"   the page is fresh: restore every saved field; otherwise
 *                            only fields that are still empty are filled in.
 * <div data-draft-clear="KEY">  the server says KEY was submitted successfully: drop it.
 * <button data-draft-discard>   forget the draft and reset the form.
 * No inline script anywhere: the CSP allows scripts from 'self' only.
 */
(function () {
  "use strict";
  var PREFIX = "bugzot:draft:";
  var SKIP_TYPES = ["hidden", "file", "password", "submit", "button", "reset"];

  function openStorage() {
    try {
      var s = window.localStorage;
      s.setItem(PREFIX + "probe", "1");
      s.removeItem(PREFIX + "probe");
      return s;
    } catch (e) {
      return null; // storage disabled or full: the form still works, just without drafts
    }
  }

  var store = openStorage();
  if (!store) { return; }

  Array.prototype.forEach.call(document.querySelectorAll("[data-draft-clear]"), function (el) {
    store.removeItem(PREFIX + el.getAttribute("data-draft-clear"));
  });

  function setUp(form) {
    var key = PREFIX + form.getAttribute("data-draft");
    var only = (form.getAttribute("data-draft-fields") || "").split(/\s+/).filter(Boolean);
    var restoreAll = form.getAttribute("data-draft-restore") === "1";

    function fields() {
      return Array.prototype.filter.call(form.elements, function (el) {
        if (!el.name || el.name === "csrf_token" || SKIP_TYPES.indexOf(el.type) >= 0) { return false; }
        return only.length === 0 || only.indexOf(el.name) >= 0;
      });
    }

    function fieldId(el) {
      return el.type === "checkbox" || el.type === "radio" ? el.name + "=" + el.value : el.name;
    }

    function save() {
      var data = {};
      var typed = false;
      fields().forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          data[fieldId(el)] = el.checked;
        } else {
          data[fieldId(el)] = el.value;
          if (el.tagName !== "SELECT" && el.value.trim() !== "") { typed = true; }
        }
      });
      if (typed) {
        store.setItem(key, JSON.stringify({ saved: Date.now(), fields: data }));
      } else {
        store.removeItem(key); // nothing typed: no draft worth keeping
      }
    }

    function restore() {
      var draft;
      try { draft = JSON.parse(store.getItem(key) || "null"); } catch (e) { draft = null; }
      if (!draft || !draft.fields) { return false; }
      var restored = false;
      fields().forEach(function (el) {
        var id = fieldId(el);
        if (!Object.prototype.hasOwnProperty.call(draft.fields, id)) { return; }
        var value = draft.fields[id];
        if (el.type === "checkbox" || el.type === "radio") {
          if (restoreAll) { el.checked = !!value; }
        } else if (restoreAll || (el.tagName !== "SELECT" && el.value === "")) {
          if (el.value !== value) { el.value = value; restored = restored || value !== ""; }
        }
      });
      return restored;
    }

    if (restore()) {
      var note = document.createElement("p");
      note.className = "draft-note";
      note.setAttribute("role", "status");
      note.textContent = "Restored what you typed here before (kept in this browser).";
      form.insertBefore(note, form.firstChild);
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    Array.prototype.forEach.call(form.querySelectorAll("[data-draft-discard]"), function (button) {
      button.addEventListener("click", function () {
        store.removeItem(key);
        fields().forEach(function (el) {
          if (el.type === "checkbox" || el.type === "radio") { el.checked = el.defaultChecked; }
          else if (el.tagName === "SELECT") {
            Array.prototype.forEach.call(el.options, function (o) { o.selected = o.defaultSelected; });
          } else { el.value = el.defaultValue; }
        });
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), setUp);
}());
