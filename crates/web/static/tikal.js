// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The help-topic chooser loads its form as soon as a topic is picked.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { if (select.value) select.form.submit(); });
  });

  // Drag and drop onto the file input's zone.
  document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; }
    });
  });

  // Upload with a progress bar; limits are checked before sending (the server checks again).
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      var hint = form.querySelector("[data-max-bytes]");
      var input = form.querySelector("input[type=file]");
      if (hint && input && input.files) {
        var max = Number(hint.getAttribute("data-max-bytes"));
        var maxFiles = Number(hint.getAttribute("data-max-files"));
        var tooBig = Array.prototype.some.call(input.files, function (f) { return f.size > max; });
        if (tooBig || input.files.length > maxFiles) {
          e.preventDefault();
          hint.classList.add("field-error");
          hint.focus();
          return;
        }
      }
      if (!window.XMLHttpRequest || !window.FormData) return;
      var bar = form.querySelector(".upload-progress");
      if (!bar || !input || !input.files || !input.files.length) return;
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) bar.value = Math.round((p.loaded / p.total) * 100);
      });
      xhr.addEventListener("load", function () {
        // Show what the server answered (the next page, or the form with its errors).
        if (xhr.responseURL && xhr.responseURL !== form.action) { window.location.assign(xhr.responseURL); return; }
        document.open(); document.write(xhr.responseText); document.close();
      });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(new FormData(form));
    });
  });
})();
