/* Attachments by drag and drop or paste, sent with upload progress.
 *
 * A form with a .dropzone (its file input, a progress.upload-progress): dropping a file
 * on the form, or pasting an image into one of its text fields, puts it in the file
 * input. When the form is submitted with a file, it is sent by XMLHttpRequest (to the
 * form's data-upload-url, else its action) so the progress bar can follow the upload;
 * the server answers {"location": url} (go there) or {"errors": [...]} (shown above the
 * button, nothing lost). Without a file the form submits as usual.
 */
(function () {
  "use strict";

  function setUp(form) {
    var zone = form.querySelector(".dropzone");
    var input = zone && zone.querySelector("input[type=file]");
    var bar = zone && zone.querySelector("progress.upload-progress");
    if (!input || !bar || typeof window.DataTransfer === "undefined") { return; }
    zone.hidden = false;
    var errors = document.createElement("div");
    errors.className = "upload-errors flash flash-error";
    errors.setAttribute("role", "alert");
    errors.hidden = true;
    zone.appendChild(errors);

    function take(files) {
      if (!files || !files.length) { return false; }
      var transfer = new DataTransfer();
      transfer.items.add(files[0]);
      input.files = transfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      return true;
    }

    form.addEventListener("dragover", function (e) {
      if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) {
        e.preventDefault();
        zone.classList.add("dragging");
      }
    });
    form.addEventListener("dragleave", function () { zone.classList.remove("dragging"); });
    form.addEventListener("drop", function (e) {
      zone.classList.remove("dragging");
      if (e.dataTransfer && take(e.dataTransfer.files)) { e.preventDefault(); }
    });
    form.addEventListener("paste", function (e) {
      var data = e.clipboardData;
      if (!data) { return; }
      var files = Array.prototype.filter.call(data.files || [], function (f) {
        return f.type.indexOf("image/") === 0;
      });
      if (take(files)) { e.preventDefault(); } // the screenshot, not its file name, is wanted
    });

    form.addEventListener("submit", function (e) {
      if (!input.files || !input.files.length) { return; }
      e.preventDefault();
      var data = new FormData(form);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-upload-url") || form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Accept", "application/json");
      errors.hidden = true;
      bar.value = 0;
      bar.hidden = false;
      var buttons = form.querySelectorAll("button[type=submit]");
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      xhr.upload.addEventListener("progress", function (ev) {
        if (ev.lengthComputable) { bar.value = Math.round(100 * ev.loaded / ev.total); }
      });
      function fail(messages) {
        bar.hidden = true;
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
        errors.textContent = "";
        messages.forEach(function (m) {
          var p = document.createElement("p");
          p.textContent = m;
          errors.appendChild(p);
        });
        errors.hidden = false;
        errors.focus();
      }
      xhr.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = null; }
        if (xhr.status < 300 && answer && answer.location) {
          bar.value = 100;
          var target = new URL(answer.location, window.location.href);
          if (target.pathname === window.location.pathname && target.search === window.location.search) {
            window.location.hash = target.hash; // only the fragment differs: load the page again
            window.location.reload();
          } else {
            window.location.assign(target.href);
          }
        } else if (answer && answer.errors) {
          fail(answer.errors);
        } else {
          fail([(answer && answer.message) || "The upload failed (" + xhr.status + "). Nothing was saved."]);
        }
      });
      xhr.addEventListener("error", function () {
        fail(["The upload failed: the server could not be reached. Nothing was saved."]);
      });
      xhr.send(data);
    });
    errors.tabIndex = -1;
  }

  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    if (form.querySelector(".dropzone")) { setUp(form); }
  });
}());
