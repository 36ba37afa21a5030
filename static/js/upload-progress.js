// The upload page follows its upload's progress until it finishes, then reloads to show the summary.
(function () {
  "use strict";
  var box = document.getElementById("upload-status");
  if (!box || box.dataset.finished === "1") return;
  var bar = document.getElementById("upload-progress");
  var text = document.getElementById("upload-progress-text");
  var state = document.getElementById("upload-state");
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        text.textContent = s.progress_text;
        state.textContent = s.state_label;
        if (s.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
