/* The reception search: find an official or a body by name as you type (GET /reception/lookup, JSON),
   then choose it in the form's own selects. Without JavaScript the selects alone do the work: the region's
   bodies, the body's officials. Messages come from the page (already translated). */
(function () {
  "use strict";

  var DELAY_MS = 250, MIN_LENGTH = 2;

  function init() {
    var box = document.getElementById("lookup");
    var input = document.getElementById("lookup-q");
    var list = document.getElementById("lookup-results");
    var status = document.getElementById("lookup-status");
    var form = box && box.closest("form");
    if (!box || !input || !list || !status || !form || !window.fetch) { return; }
    var selects = {official: form.elements.official, body: form.elements.body};
    var region = form.elements.region;
    if (!selects.official || !selects.body) { return; }
    box.hidden = false;

    var timer = null, controller = null, results = [], active = -1;

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      results = [];
      active = -1;
    }

    function highlight(index) {
      var items = list.children;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    /* Select the match in its own select (adding it as an option when the list does not hold it) and
       reset the other one, so that the search asks for exactly what was chosen. */
    function choose(match) {
      var select = selects[match.kind], other = selects[match.kind === "official" ? "body" : "official"];
      if (!select) { return; }
      var value = String(match.id), found = false;
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === value) { found = true; break; }
      }
      if (!found) {
        select.add(new Option(match.label + (match.detail ? " (" + match.detail + ")" : ""), value));
      }
      select.value = value;
      other.value = "0";
      input.value = match.label;
      status.textContent = "";
      close();
      select.dispatchEvent(new Event("change", {bubbles: true}));
    }

    function show(matches) {
      close();
      results = matches;
      if (!matches.length) {
        status.textContent = box.getAttribute("data-empty");
        return;
      }
      status.textContent = "";
      matches.forEach(function (match, i) {
        var li = document.createElement("li");
        li.id = "lookup-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-kind", match.kind);
        var name = document.createElement("span");
        name.className = "lookup-name";
        name.textContent = match.label;
        li.appendChild(name);
        if (match.detail) {
          var detail = document.createElement("span");
          detail.className = "lookup-detail";
          detail.textContent = match.detail;
          li.appendChild(detail);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep the focus in the field
          choose(match);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function search() {
      var q = input.value.trim();
      if (controller) { controller.abort(); controller = null; }
      if (q.length < MIN_LENGTH) { close(); status.textContent = ""; return; }
      var params = new URLSearchParams({q: q});
      if (region && region.value) { params.set("region", region.value); }
      controller = window.AbortController ? new AbortController() : null;
      fetch(box.getAttribute("data-url") + "?" + params.toString(), {
        headers: {"Accept": "application/json"}, credentials: "same-origin",
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      }).then(function (answer) {
        if (answer.ok) { show(answer.body.results || []); }
        else { close(); status.textContent = answer.body.error || box.getAttribute("data-failed"); }
      }).catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        close();
        status.textContent = box.getAttribute("data-failed");
      });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && results.length) {
        event.preventDefault();
        highlight((active + 1) % results.length);
      } else if (event.key === "ArrowUp" && results.length) {
        event.preventDefault();
        highlight(active <= 0 ? results.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();  // choose, do not submit yet
        choose(results[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    if (region) {
      region.addEventListener("change", function () { if (input.value.trim()) { search(); } });
    }
  }

  /* The studio matters only for video from an akimat studio: its field shows with that format only (without
     JavaScript it is always there, and the search ignores it for other formats). */
  function studioField() {
    var format = document.getElementById("format");
    var studio = document.getElementById("studio");
    var field = studio && studio.closest(".field");
    if (!format || !field) { return; }
    var sync = function () { field.hidden = format.value !== "video_studio"; };
    format.addEventListener("change", sync);
    sync();
  }

  function start() { init(); studioField(); }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
