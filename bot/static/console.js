/* The advocate console: the simulator, reset and transcript forms post in place.
 *
 * Without this script every form still works (the server answers with the whole page);
 * with it, the turns pile up on the page. The server renders each turn and the results
 * as escaped HTML, so nothing typed is ever turned into markup here.
 */
(function () {
  "use strict";

  var csrfToken = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var turnForm = document.getElementById("turn-form");
  var resetForm = document.getElementById("reset-form");
  var transcriptsForm = document.getElementById("transcripts-form");
  var input = document.getElementById("console-message");
  var errorBox = document.getElementById("console-error");
  var turns = document.getElementById("turns");
  var status = document.getElementById("turn-status");
  var results = document.getElementById("transcript-results");
  var freshInput = document.getElementById("console-fresh");
  var clockInput = document.getElementById("console-clock");
  var zoneInput = document.getElementById("console-zone");
  var conversationStatus = document.getElementById("conversation-status");
  var oneTranscriptForm = document.getElementById("one-transcript-form");
  var textForm = document.getElementById("transcript-text-form");
  var yamlBox = document.getElementById("transcript-yaml");
  var scrollTarget = null;

  function postJson(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrfToken },
      body: JSON.stringify(payload || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error(data.error || ("The server answered " + response.status + "."));
        }
        return data;
      });
    });
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
    if (message) { input.setAttribute("aria-invalid", "true"); }
    else { input.removeAttribute("aria-invalid"); }
  }

  function busy(button, isBusy, label) {
    if (isBusy) {
      button.setAttribute("data-label", button.textContent);
      button.textContent = label;
      button.disabled = true;
    } else {
      button.textContent = button.getAttribute("data-label") || button.textContent;
      button.disabled = false;
    }
  }

  turnForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      showError("Type a message to send.");
      input.focus();
      return;
    }
    showError("");
    var channel = turnForm.querySelector("input[name=channel]:checked").value;
    var sendButton = document.getElementById("console-send");
    busy(sendButton, true, "Sending…");
    postJson(turnForm.action, { channel: channel, text: text,
                                number: turns.children.length + 1,
                                fresh: freshInput.value, clock: clockInput.value,
                                zone: zoneInput.value })
      .then(function (data) {
        turns.insertAdjacentHTML("beforeend", data.html);
        var added = turns.lastElementChild;
        // The conversation now exists: the next message continues it.
        if (freshInput.value === "1") {
          freshInput.value = "0";
          conversationStatus.textContent = "This conversation started fresh with turn 1; " +
            "the next message continues it. Reset starts over.";
        }
        scrollTarget = added;
        var turn = data.turn;
        var segments = turn.replies.map(function (r) { return r.segments; })
          .filter(function (n) { return n !== null; });
        status.textContent = "Intent " + turn.intent + ", score " + turn.score + ", " +
          turn.replies.length + (turn.replies.length === 1 ? " reply" : " replies") +
          (segments.length ? ", segments " + segments.join(", ") : "") + ".";
        input.value = "";
      })
      .catch(function (error) { showError(error.message); })
      .then(function () {
        busy(sendButton, false);
        // Focus the box without scrolling back to it, then bring the newest turn into view.
        input.focus({ preventScroll: true });
        if (scrollTarget) {
          scrollTarget.scrollIntoView({ block: "start" });
          scrollTarget = null;
        }
      });
  });

  resetForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = document.getElementById("console-reset");
    busy(button, true, "Erasing…");
    postJson(resetForm.action)
      .then(function () {
        turns.textContent = "";
        showError("");
        freshInput.value = "1";
        conversationStatus.textContent = "A fresh conversation: your first message starts a new one.";
        status.textContent = "The console conversation is erased.";
      })
      .catch(function (error) { showError(error.message); })
      .then(function () {
        busy(button, false);
        input.focus();
      });
  });

  function showResults(promise, button, label) {
    busy(button, true, label);
    promise
      .then(function (data) {
        results.innerHTML = data.html;
        results.scrollIntoView({ block: "start" });
      })
      .catch(function (error) {
        results.textContent = "";
        var problem = document.createElement("p");
        problem.className = "flash flash-error";
        problem.textContent = error.message;
        results.appendChild(problem);
      })
      .then(function () { busy(button, false); });
  }

  oneTranscriptForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var name = document.getElementById("transcript-name").value;
    showResults(postJson(oneTranscriptForm.action, { name: name }),
                document.getElementById("run-one-transcript"), "Running…");
  });

  document.getElementById("save-transcript").addEventListener("click", function () {
    var cards = Array.prototype.slice.call(turns.querySelectorAll(".turn"));
    var channel = cards.length ? cards[0].getAttribute("data-channel")
      : turnForm.querySelector("input[name=channel]:checked").value;
    var sent = cards.filter(function (card) {
      return card.getAttribute("data-channel") === channel;
    }).map(function (card) {
      return { send: card.querySelector(".typed-text").textContent,
               intent: card.getAttribute("data-intent"),
               step: card.getAttribute("data-step"),
               language: card.getAttribute("data-language"),
               replies: parseInt(card.getAttribute("data-replies"), 10) };
    });
    var button = document.getElementById("save-transcript");
    busy(button, true, "Making…");
    postJson("/console/transcripts/save", {
      name: document.getElementById("transcript-save-name").value, channel: channel,
      turns: sent, clock: clockInput.value, zone: zoneInput.value })
      .then(function (data) { yamlBox.value = data.yaml; yamlBox.focus(); })
      .catch(function (error) { showError(error.message); })
      .then(function () { busy(button, false); });
  });

  textForm.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "download") { return; }  // a file: the browser's
    event.preventDefault();
    var body = new URLSearchParams(new FormData(textForm));
    body.set("action", "run");
    showResults(fetch(textForm.getAttribute("action"), {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken },
      body: body
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error(data.error || ("The server answered " + response.status + "."));
        }
        return data;
      });
    }), document.getElementById("run-saved-transcript"), "Running…");
  });

  transcriptsForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = document.getElementById("run-transcripts");
    busy(button, true, "Running…");
    postJson(transcriptsForm.action)
      .then(function (data) { results.innerHTML = data.html; })
      .catch(function (error) {
        results.textContent = "";
        var problem = document.createElement("p");
        problem.className = "flash flash-error";
        problem.textContent = error.message;
        results.appendChild(problem);
      })
      .then(function () { busy(button, false); });
  });
}());
