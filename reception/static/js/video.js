/* Video receptions: the countdown and device check of the join page, and the embedded Jitsi call.
   Messages come from the page (already translated); nothing here talks to this site's server. */
(function () {
  "use strict";

  function messages() {
    var node = document.getElementById("video-messages");
    return node ? JSON.parse(node.textContent) : {};
  }

  function item(list, text, ok, device) {
    var li = document.createElement("li");
    li.textContent = text;
    li.className = ok ? "device-ok" : "device-missing";
    li.setAttribute("data-ok", ok ? "1" : "0");
    li.setAttribute("data-device", device);
    list.appendChild(li);
  }

  /* Countdown until the call opens; the page reloads itself when it does. */
  function countdown() {
    var box = document.querySelector(".countdown[data-seconds]");
    var out = document.getElementById("countdown-value");
    if (!box || !out) { return; }
    var text = messages().seconds || "%(m)s:%(s)s";
    var until = Date.now() + parseInt(box.getAttribute("data-seconds"), 10) * 1000;
    function tick() {
      var left = Math.max(0, Math.round((until - Date.now()) / 1000));
      out.textContent = text.replace("%(m)s", Math.floor(left / 60)).replace("%(s)s", left % 60);
      if (left === 0) { window.location.reload(); return; }
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  /* Ask for camera and microphone, show the picture, list what is missing. */
  function deviceCheck() {
    var start = document.getElementById("device-check-start");
    var list = document.getElementById("device-results");
    var preview = document.getElementById("device-preview");
    var speaker = document.getElementById("speaker-test");
    if (!start || !list) { return; }
    var m = messages();
    start.addEventListener("click", function () {
      list.textContent = "";
      var media = navigator.mediaDevices;
      if (!media || !media.getUserMedia || !media.enumerateDevices) {
        item(list, m.unsupported, false, "browser");
        return;
      }
      media.enumerateDevices().then(function (devices) {
        var kinds = devices.map(function (d) { return d.kind; });
        var wantVideo = kinds.indexOf("videoinput") !== -1;
        var wantAudio = kinds.indexOf("audioinput") !== -1;
        if (!wantVideo) { item(list, m.camera_missing, false, "camera"); }
        if (!wantAudio) { item(list, m.mic_missing, false, "microphone"); }
        var hasOutput = kinds.indexOf("audiooutput") !== -1;
        item(list, hasOutput ? m.speaker_ok : m.speaker_missing, hasOutput, "speakers");
        if (!wantVideo && !wantAudio) { return null; }
        return media.getUserMedia({video: wantVideo, audio: wantAudio}).then(function (stream) {
          if (stream.getVideoTracks().length) {
            item(list, m.camera_ok, true, "camera");
            preview.srcObject = stream;
            preview.hidden = false;
          }
          if (stream.getAudioTracks().length) { item(list, m.mic_ok, true, "microphone"); }
          window.setTimeout(function () {
            stream.getTracks().forEach(function (t) { t.stop(); });
            preview.hidden = true;
          }, 15000);
        });
      }).catch(function (err) {
        var name = err && err.name;
        if (name === "NotAllowedError" || name === "SecurityError") { item(list, m.denied, false, "permission"); }
        else if (name === "NotReadableError") { item(list, m.in_use, false, "busy"); }
        else if (name === "NotFoundError") {
          item(list, m.camera_missing, false, "camera");
          item(list, m.mic_missing, false, "microphone");
        }
        else { item(list, m.unsupported, false, "browser"); }
      });
    });
    if (speaker) {
      speaker.addEventListener("click", function () {
        var Ctx = window.AudioContext || window.webkitAudioContext;
        if (!Ctx) { return; }
        var ctx = new Ctx();
        var osc = ctx.createOscillator();
        osc.frequency.value = 440;
        osc.connect(ctx.destination);
        osc.start();
        osc.stop(ctx.currentTime + 1);
      });
    }
  }

  /* The embedded call: lobby on, the official's side admits people. */
  function call() {
    var node = document.getElementById("jitsi-config");
    if (!node) { return; }
    var cfg = JSON.parse(node.textContent);
    node.textContent = "";  /* the token stays in memory only */
    var fallback = document.getElementById("call-fallback");
    if (typeof window.JitsiMeetExternalAPI !== "function") {
      if (fallback) { fallback.hidden = false; }
      return;
    }
    var api = new window.JitsiMeetExternalAPI(cfg.domain, {
      roomName: cfg.room,
      jwt: cfg.jwt,
      lang: cfg.lang,
      parentNode: document.getElementById("jitsi-call"),
      width: "100%",
      height: 600,
      userInfo: {displayName: cfg.displayName},
      configOverwrite: {
        prejoinConfig: {enabled: false},
        lobby: {autoKnock: true},
        disableDeepLinking: true
      }
    });
    if (cfg.moderator) {
      api.addListener("videoConferenceJoined", function () {
        api.executeCommand("toggleLobby", true);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdown();
    deviceCheck();
    call();
  });
}());
