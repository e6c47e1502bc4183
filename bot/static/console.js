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
                                number: turns.children.length + 1 })
      .then(function (data) {
        turns.insertAdjacentHTML("beforeend", data.html);
        var added = turns.lastElementChild;
        added.scrollIntoView({ block: "nearest" });
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
        input.focus();
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
        status.textContent = "The console conversation is erased.";
      })
      .catch(function (error) { showError(error.message); })
      .then(function () {
        busy(button, false);
        input.focus();
      });
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
