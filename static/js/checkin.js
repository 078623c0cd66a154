/*
 * Door check-in: progressive enhancement of templates/ticketing/checkin/scan.html.
 *
 * Without this file the page works: type or scan (a USB scanner types the code and Enter)
 * into the form, the server answers with the page. With it:
 *   - the form is sent in the background and the answer shown in place, so the next scan
 *     can follow at once (and the camera keeps running);
 *   - where the browser has BarcodeDetector (Chrome on Android, Safari 17+ with the flag...),
 *     a "Scan with camera" button reads QR codes from the device camera.
 * If anything here fails, the plain form is still there and still submits.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-checkin-form]");
  var panel = document.querySelector("[data-checkin-result]");
  if (!form || !panel || !window.fetch || !window.FormData) {
    return;
  }
  var input = form.querySelector('input[name="code"]');
  var headline = panel.querySelector("[data-headline]");
  var detail = panel.querySelector("[data-detail]");
  var checkedIn = document.querySelector("[data-checked-in]");
  var sold = document.querySelector("[data-sold]");
  var busy = false;

  function show(answer) {
    panel.classList.remove("checkin-result--idle", "checkin-result--admit", "checkin-result--refuse", "is-fresh");
    // Restart the flash animation for a repeated answer too.
    void panel.offsetWidth;
    panel.classList.add(answer.admitted ? "checkin-result--admit" : "checkin-result--refuse", "is-fresh");
    panel.setAttribute("data-outcome", answer.outcome);
    headline.textContent = answer.headline;
    detail.textContent = answer.detail;
    if (checkedIn && typeof answer.checked_in === "number") {
      checkedIn.textContent = answer.checked_in;
    }
    if (sold && typeof answer.sold === "number") {
      sold.textContent = answer.sold;
    }
    if (navigator.vibrate) {
      navigator.vibrate(answer.admitted ? 120 : [300, 120, 300]);
    }
  }

  function check(code) {
    if (busy || !code) {
      return Promise.resolve();
    }
    busy = true;
    var data = new FormData(form);
    data.set("code", code);
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        show(answer);
        input.value = "";
      })
      .catch(function () {
        // Signed out, offline, or the server failed: let the plain form do it and say why.
        input.value = code;
        HTMLFormElement.prototype.submit.call(form);
      })
      .then(function () {
        busy = false;
        if (!scanning) {
          input.focus();
        }
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    check(input.value.trim());
  });

  /* Camera ------------------------------------------------------------------------------- */
  var camera = document.querySelector("[data-checkin-camera]");
  var scanning = false;
  if (!camera || !("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var toggle = camera.querySelector("[data-camera-toggle]");
  var video = camera.querySelector("[data-camera-video]");
  var status = camera.querySelector("[data-camera-status]");
  var detector = null;
  var stream = null;
  var lastCode = "";
  var lastAt = 0;
  var REPEAT_MS = 3000; // the same code held in front of the camera counts once

  window.BarcodeDetector.getSupportedFormats()
    .then(function (formats) {
      if (formats.indexOf("qr_code") === -1) {
        return;
      }
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      camera.hidden = false;
    })
    .catch(function () {});

  function stop() {
    scanning = false;
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    stream = null;
    video.hidden = true;
    toggle.textContent = "Scan with camera";
    status.textContent = "";
  }

  function tick() {
    if (!scanning) {
      return;
    }
    detector
      .detect(video)
      .then(function (codes) {
        var now = Date.now();
        var value = codes.length ? codes[0].rawValue : "";
        if (value && !busy && (value !== lastCode || now - lastAt > REPEAT_MS)) {
          lastCode = value;
          lastAt = now;
          return check(value);
        }
      })
      .catch(function () {})
      .then(function () {
        window.setTimeout(tick, 150);
      });
  }

  toggle.addEventListener("click", function () {
    if (scanning) {
      stop();
      return;
    }
    status.textContent = "Starting the camera…";
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        scanning = true;
        toggle.textContent = "Stop camera";
        status.textContent = "Hold the ticket's QR code in front of the camera.";
        input.blur();
        return video.play().then(tick);
      })
      .catch(function () {
        stop();
        status.textContent = "The camera is not available. Type or scan the code instead.";
      });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden && scanning) {
      stop();
    }
  });
})();
