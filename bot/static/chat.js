/* Harbor's survivor pages (/chat and /chat/safety): the quick exit, the interface
 * language and, on /chat, the conversation with POST /chat/api/messages.
 *
 * Privacy: the conversation token lives only in this tab's sessionStorage; no cookie,
 * no localStorage, nothing sent to another origin. Messages are shown on the page and
 * never written to storage, so closing the tab or the quick exit leaves none behind.
 *
 * Leaving /chat by any means (another address typed, a link, Back, reload, closing the
 * tab) ends the conversation: on `pagehide` the page empties itself, forgets the token
 * and tells the server to erase it (sendBeacon to /chat/api/exit). A page brought back
 * from the back/forward cache is reloaded empty, so Back never shows a conversation,
 * and links in replies open in this tab (a new tab would outlive the quick exit).
 * While the conversation is handed off to an advocate, the page asks POST
 * /chat/api/updates every second for the advocate's messages; quick exit stops that first.
 *
 * Quick exit follows GOV.UK's "Exit this page": a button always on top, and the Shift
 * key pressed 3 times within 5 seconds (Escape is pressed by accident too often).
 */
(function () {
  "use strict";

  var TOKEN_KEY = "harbor.chat.token";
  var LANGUAGE_KEY = "harbor.chat.language";
  var SHIFT_PRESSES_TO_EXIT = 3;
  var SHIFT_WINDOW_MS = 5000;
  var MESSAGES_URL = "/chat/api/messages";
  var EXIT_URL = "/chat/api/exit";
  var UPDATES_URL = "/chat/api/updates";
  var UPDATES_EVERY_MS = 1000;

  var body = document.body;
  var page = body.getAttribute("data-page");
  var strings = JSON.parse(document.getElementById("interface-text").textContent);
  var language = body.getAttribute("data-lang") || "en";
  var exiting = false;
  var pendingRequest = null;
  var updatesTimer = null;

  /* ---- storage: every access guarded, storage can be switched off ---- */

  function sessionGet(key) {
    try { return window.sessionStorage.getItem(key); } catch (error) { return null; }
  }

  function sessionSet(key, value) {
    try { window.sessionStorage.setItem(key, value); } catch (error) { /* not kept */ }
  }

  function sessionRemove(key) {
    try { window.sessionStorage.removeItem(key); } catch (error) { /* nothing kept */ }
  }

  function clearAllStorage() {
    try { window.sessionStorage.clear(); } catch (error) { /* nothing to clear */ }
    try { window.localStorage.clear(); } catch (error) { /* nothing to clear */ }
  }

  function text(key) {
    return (strings[language] || strings.en)[key] || "";
  }

  /* ---- quick exit ---- */

  function tellServerToErase(token) {
    var payload = JSON.stringify({ token: token });
    var queued = false;
    if (navigator.sendBeacon) {
      // A string body goes as text/plain: no preflight, and it survives the page leaving.
      try { queued = navigator.sendBeacon(EXIT_URL, payload); } catch (error) { queued = false; }
    }
    if (!queued && window.fetch) {
      try {
        fetch(EXIT_URL, { method: "POST", body: payload, keepalive: true, credentials: "omit",
                          headers: { "Content-Type": "text/plain;charset=UTF-8" } });
      } catch (error) { /* leaving anyway: the server forgets idle conversations */ }
    }
  }

  function quickExit(event) {
    if (event) { event.preventDefault(); }
    if (exiting) { return; }
    exiting = true;
    // Hide everything first: the screen must be blank before anything slower happens.
    document.getElementById("exit-overlay").hidden = false;
    document.documentElement.classList.add("exiting");
    document.title = "";
    var token = sessionGet(TOKEN_KEY);
    clearAllStorage();
    var messages = document.getElementById("messages");
    if (messages) { messages.textContent = ""; }
    var input = document.getElementById("message");
    if (input) { input.value = ""; }
    if (pendingRequest) { pendingRequest.abort(); }
    if (updatesTimer) { window.clearInterval(updatesTimer); updatesTimer = null; }
    if (token) { tellServerToErase(token); }
    // replace(), not assign(): this page leaves the history, so Back cannot return to it.
    window.location.replace(document.getElementById("quick-exit").href);
  }

  var shiftPresses = [];
  var otherKeyWhileShiftDown = false;
  var shiftTimer = null;

  function showShiftProgress(count) {
    var indicator = document.getElementById("shift-indicator");
    var status = document.getElementById("shift-status");
    var dots = indicator.querySelectorAll(".shift-dot");
    for (var i = 0; i < dots.length; i += 1) {
      dots[i].classList.toggle("shift-dot-on", i < count);
    }
    indicator.hidden = count === 0;
    if (count === 1) { status.textContent = text("shift_count_one"); }
    if (count === 2) { status.textContent = text("shift_count_two"); }
  }

  function resetShiftPresses(announceExpiry) {
    var hadPresses = shiftPresses.length > 0;
    shiftPresses = [];
    window.clearTimeout(shiftTimer);
    showShiftProgress(0);
    var status = document.getElementById("shift-status");
    status.textContent = announceExpiry && hadPresses ? text("shift_expired") : "";
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Shift") {
      if (!event.repeat) { otherKeyWhileShiftDown = false; }
      return;
    }
    // Any other key breaks the sequence: capitals typed with Shift are not an exit.
    otherKeyWhileShiftDown = true;
    if (shiftPresses.length) { resetShiftPresses(false); }
  }, true);

  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift" || exiting) { return; }
    if (otherKeyWhileShiftDown) { otherKeyWhileShiftDown = false; return; }
    var now = Date.now();
    shiftPresses = shiftPresses.filter(function (at) { return now - at < SHIFT_WINDOW_MS; });
    shiftPresses.push(now);
    if (shiftPresses.length >= SHIFT_PRESSES_TO_EXIT) {
      quickExit(null);
      return;
    }
    showShiftProgress(shiftPresses.length);
    window.clearTimeout(shiftTimer);
    shiftTimer = window.setTimeout(function () { resetShiftPresses(true); },
                                   SHIFT_WINDOW_MS - (now - shiftPresses[0]));
  }, true);

  document.getElementById("quick-exit").addEventListener("click", quickExit);

  // Links between the chat and the safety page replace the history entry, so the
  // history holds one Harbor page at most and quick exit's replace() removes it.
  Array.prototype.forEach.call(document.querySelectorAll("[data-same-tab-replace]"),
    function (link) {
      link.addEventListener("click", function (event) {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
            event.altKey) { return; }
        event.preventDefault();
        window.location.replace(link.href);
      });
    });

  if (page !== "chat") { return; }

  /* ---- interface language (chat page) ---- */

  var languageSwitch = document.getElementById("language-switch");
  var safetyLink = document.getElementById("safety-link");

  function applyLanguage(newLanguage, remember) {
    if (!strings[newLanguage]) { return; }
    language = newLanguage;
    document.documentElement.lang = newLanguage;
    body.setAttribute("data-lang", newLanguage);
    Array.prototype.forEach.call(document.querySelectorAll("[data-text]"), function (element) {
      var value = strings[newLanguage][element.getAttribute("data-text")];
      if (value !== undefined) { element.textContent = value; }
    });
    if (languageSwitch.tagName === "SELECT") {
      languageSwitch.value = newLanguage;
    } else {
      languageSwitch.lang = newLanguage === "es" ? "en" : "es";
    }
    safetyLink.href = "/chat/safety?lang=" + newLanguage;
    if (remember) { sessionSet(LANGUAGE_KEY, newLanguage); }
  }

  function browserLanguage() {
    var preferred = navigator.languages && navigator.languages.length ?
      navigator.languages : [navigator.language || ""];
    for (var i = 0; i < preferred.length; i += 1) {
      var primary = String(preferred[i]).toLowerCase().split("-")[0];
      if (strings[primary]) { return primary; }
    }
    return null;
  }

  var remembered = sessionGet(LANGUAGE_KEY);
  if (remembered && strings[remembered]) {
    applyLanguage(remembered, false);
  } else if (body.getAttribute("data-lang-source") === "default") {
    // No usable Accept-Language header: ask the browser itself.
    var fromBrowser = browserLanguage();
    if (fromBrowser && fromBrowser !== language) { applyLanguage(fromBrowser, false); }
  }

  /* ---- the conversation ---- */

  var form = document.getElementById("chat-form");
  var input = document.getElementById("message");
  var messages = document.getElementById("messages");
  var announcer = document.getElementById("reply-announcer");
  var errorBox = document.getElementById("chat-error");
  var sendingNote = document.getElementById("sending");
  var busy = false;

  // Phone numbers become tel: links and web addresses become links; the rest is text.
  var LINKABLE = /(https?:\/\/[^\s<>"]+)|((?:\+?1[-. ])?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}|\b911\b)/g;

  function appendLinkedText(container, value) {
    var last = 0;
    var match;
    LINKABLE.lastIndex = 0;
    while ((match = LINKABLE.exec(value)) !== null) {
      var found = match[0];
      var trailing = "";
      if (match[1]) {
        // A sentence's closing punctuation is not part of the address.
        var cut = found.match(/[.,;:!?)\]]+$/);
        if (cut) { trailing = cut[0]; found = found.slice(0, -trailing.length); }
      }
      container.appendChild(document.createTextNode(value.slice(last, match.index)));
      var link = document.createElement("a");
      link.textContent = found;
      if (match[1]) {
        // Same tab, on purpose: leaving ends the conversation, and no tab stays behind.
        link.href = found;
        link.rel = "noopener noreferrer";
      } else {
        link.href = "tel:" + found.replace(/[^\d+]/g, "");
      }
      container.appendChild(link);
      last = match.index + found.length;
    }
    container.appendChild(document.createTextNode(value.slice(last)));
  }

  // A place in the results starts its line with its number: "2) Name, 319-555-0100...".
  var LISTING_LINE = /^(\d{1,2})\) /;

  function appendReportLinks(item, value) {
    // Beside each place, a way to say it is wrong: it sends WRONG 2 (MAL 2), which the
    // conversation answers like the typed command (the report is anonymous).
    var numbers = [];
    value.split("\n").forEach(function (line) {
      var match = LISTING_LINE.exec(line);
      if (match) { numbers.push(match[1]); }
    });
    if (!numbers.length) { return; }
    var links = document.createElement("p");
    links.className = "report-links";
    numbers.forEach(function (number) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "report-link";
      button.textContent = text("report_wrong").replace("{number}", number);
      button.addEventListener("click", function () {
        sendMessage(text("report_command") + " " + number);
      });
      links.appendChild(button);
    });
    item.appendChild(links);
  }

  function appendMessage(kind, value) {
    var item = document.createElement("li");
    item.className = "message message-" + kind;
    var sender = document.createElement("span");
    sender.className = "visually-hidden";
    sender.textContent = text(kind === "user" ? "you" :
                              (kind === "advocate" ? "advocate" : "harbor")) + ": ";
    var bubble = document.createElement("p");
    bubble.className = "bubble";
    appendLinkedText(bubble, value);
    item.appendChild(sender);
    item.appendChild(bubble);
    if (kind === "harbor") { appendReportLinks(item, value); }
    messages.appendChild(item);
    return item;
  }

  function announce(replies) {
    announcer.textContent = "";
    replies.forEach(function (reply) {
      var line = document.createElement("p");
      line.textContent = text("harbor") + ": " + reply;
      announcer.appendChild(line);
    });
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function hideError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  function setBusy(isBusy) {
    busy = isBusy;
    sendingNote.hidden = !isBusy;
    messages.setAttribute("aria-busy", isBusy ? "true" : "false");
  }

  /* ---- a hand-off: the advocate's messages arrive without reloading ---- */

  var lastUpdate = 0;
  var updating = false;

  function stopUpdates() {
    if (updatesTimer) { window.clearInterval(updatesTimer); updatesTimer = null; }
  }

  function askForUpdates() {
    var token = sessionGet(TOKEN_KEY);
    if (!token || exiting || updating) { if (!token) { stopUpdates(); } return; }
    updating = true;
    fetch(UPDATES_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ token: token, after: lastUpdate }),
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      if (exiting) { return; }
      var news = Array.isArray(data.messages) ? data.messages : [];
      var lines = [];
      news.forEach(function (message) {
        appendMessage(message.from === "advocate" ? "advocate" : "harbor", String(message.text))
          .scrollIntoView({ block: "nearest" });
        lines.push(String(message.text));
        if (message.n > lastUpdate) { lastUpdate = message.n; }
      });
      if (lines.length) { announce(lines); }
      if (data.handoff === "closed" || data.handoff === "none") {
        stopUpdates();
        lastUpdate = 0;
      }
    }).catch(function () { /* the next tick tries again */ }).then(function () {
      updating = false;
    });
  }

  function startUpdates() {
    if (updatesTimer || exiting) { return; }
    updatesTimer = window.setInterval(askForUpdates, UPDATES_EVERY_MS);
    askForUpdates();
  }

  function handleReply(data) {
    if (data.handoff === true) { startUpdates(); }
    if (data.cleared) {
      // The person wrote EXIT (or SALIR...): the server erased everything, so does the page.
      stopUpdates();
      sessionRemove(TOKEN_KEY);
      messages.textContent = "";
    } else if (typeof data.token === "string" && data.token) {
      sessionSet(TOKEN_KEY, data.token);
    }
    if (typeof data.language === "string" && data.language !== language) {
      applyLanguage(data.language, true);
    }
    var replies = Array.isArray(data.replies) ? data.replies : [];
    var first = null;
    replies.forEach(function (reply) {
      var item = appendMessage("harbor", String(reply));
      first = first || item;
    });
    // Show a reply from its first line: results can be taller than the screen.
    if (first) { first.scrollIntoView({ block: "start" }); }
    announce(replies);
  }

  function sendMessage(value) {
    if (busy || exiting) { return; }
    hideError();
    var mine = appendMessage("user", value);
    mine.scrollIntoView({ block: "nearest" });
    setBusy(true);
    var controller = window.AbortController ? new AbortController() : null;
    pendingRequest = controller;
    fetch(MESSAGES_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      // The interface language tells a new conversation which language to start in.
      body: JSON.stringify({ token: sessionGet(TOKEN_KEY), text: value, language: language }),
      credentials: "omit",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        var failure = new Error("HTTP " + response.status);
        failure.status = response.status;
        if (response.status !== 429) { throw failure; }
        // Too many messages: the server says so in one short line in `replies`.
        return response.json().catch(function () { return {}; }).then(function (data) {
          var replies = data && Array.isArray(data.replies) ? data.replies : [];
          failure.line = replies.length ? String(replies[0]) : "";
          throw failure;
        });
      }
      return response.json();
    }).then(function (data) {
      if (!exiting) { handleReply(data); }
    }).catch(function (error) {
      if (exiting) { return; }
      // Give the words back so nothing typed is lost.
      messages.removeChild(mine);
      if (!input.value) { input.value = value; }
      showError(error.status === 429 ? (error.line || text("too_many")) : text("send_failed"));
    }).then(function () {
      pendingRequest = null;
      setBusy(false);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = input.value.trim();
    if (!value) {
      showError(text("empty_message"));
      input.focus();
      return;
    }
    input.value = "";
    sendMessage(value);
    input.focus();
  });

  // Switching is a message like any other: the conversation answers in the new language.
  if (languageSwitch.tagName === "SELECT") {
    languageSwitch.addEventListener("change", function () {
      var target = languageSwitch.value;
      if (!strings[target] || target === language) { return; }
      applyLanguage(target, true);
      sendMessage(strings[target].language_name);
    });
  } else {
    languageSwitch.addEventListener("click", function () {
      var message = text("switch_language_message");
      applyLanguage(language === "es" ? "en" : "es", true);
      sendMessage(message);
    });
  }

  /* ---- leaving ends the conversation ---- */

  function endConversation() {
    var token = sessionGet(TOKEN_KEY);
    sessionRemove(TOKEN_KEY);
    messages.textContent = "";
    input.value = "";
    stopUpdates();
    if (pendingRequest) { pendingRequest.abort(); }
    if (token) { tellServerToErase(token); }
  }

  window.addEventListener("pagehide", function () {
    if (!exiting) { endConversation(); }
  });

  window.addEventListener("pageshow", function (event) {
    // Restored from the back/forward cache: what it shows was a conversation. Start over.
    if (event.persisted) {
      endConversation();
      window.location.reload();
    }
  });

  // A token left from a page that could not say goodbye (a crash): erase it, start anew.
  endConversation();

  form.hidden = false;
  languageSwitch.hidden = false;
}());
