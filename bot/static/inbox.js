/* The advocate's inbox: polls GET /console/inbox/state and keeps the queue and the chats
 * current without reloading; claim, reply, transfer, close and the duty switch post in
 * place. Everything a survivor wrote is put on the page as text (textContent), never as
 * markup. When a chat disappears without this page closing or transferring it, the
 * person left (EXIT, or the conversation expired): its thread is wiped from the page.
 */
(function () {
  "use strict";

  var root = document.getElementById("inbox");
  var csrfToken = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var pollMs = parseInt(root.getAttribute("data-poll"), 10) || 1000;
  var maxReply = parseInt(root.getAttribute("data-max-reply"), 10) || 600;
  var snippets = JSON.parse(document.getElementById("snippets").textContent);
  var queue = document.getElementById("queue");
  var queueEmpty = document.getElementById("queue-empty");
  var chats = document.getElementById("chats");
  var chatsEmpty = document.getElementById("chats-empty");
  var announcer = document.getElementById("inbox-announcer");
  var dutyStatus = document.getElementById("duty-status");
  var dutyValue = document.getElementById("duty-value");
  var dutySwitch = document.getElementById("duty-switch");
  var shown = {};          // chat id -> {element, last: highest message number shown}
  var leaving = {};        // chat ids this page closed or transferred itself
  var colleagues = [];
  var polling = false;

  function post(url, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrfToken },
      body: JSON.stringify(payload || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var failure = new Error(data.error || ("The server answered " + response.status + "."));
          failure.left = !!data.left;
          throw failure;
        }
        return data;
      });
    });
  }

  function announce(message) { announcer.textContent = message; }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function channelName(channel) { return channel === "sms" ? "SMS" : "Web chat"; }

  function sharedLine(shared, withLanguage) {
    var line = "Needs: " + shared.need + " · Area: " + shared.place;
    return withLanguage ? line + " · " + shared.language : line;
  }

  /* ---- duty ---- */

  function renderDuty(duty) {
    var text = duty.answering ? "You are on duty: new chats can come to you." :
      (duty.on_duty ? "Your switch is on, but it is outside your roster hours." :
       "You are off duty: nobody is offered a chat with you.");
    dutyStatus.textContent = text + " " + duty.open_chats + " of " + duty.max_open_chats +
      " chats open.";
    dutyValue.value = duty.on_duty ? "false" : "true";
    dutySwitch.textContent = duty.on_duty ? "Go off duty" : "Go on duty";
  }

  document.getElementById("duty-form").addEventListener("submit", function (event) {
    event.preventDefault();
    post("/console/inbox/duty", { on_duty: dutyValue.value === "true" })
      .then(function (data) { announce(data.message || ""); poll(); })
      .catch(function (error) { announce(error.message); });
  });

  /* ---- the queue ---- */

  function renderQueue(items) {
    queue.textContent = "";
    items.forEach(function (item) {
      var li = element("li", "queue-item");
      li.setAttribute("data-id", item.id);
      var head = element("p");
      head.appendChild(element("strong", "", channelName(item.channel)));
      head.appendChild(document.createTextNode(" · waiting " + item.waited));
      li.appendChild(head);
      li.appendChild(element("p", "shared", sharedLine(item.shared, true)));
      var button = element("button", "button claim-button", "Claim");
      button.type = "button";
      button.addEventListener("click", function () {
        button.disabled = true;
        post("/console/inbox/claim", { id: item.id })
          .then(function () { announce("Chat claimed."); poll(); })
          .catch(function (error) { button.disabled = false; announce(error.message); });
      });
      li.appendChild(button);
      queue.appendChild(li);
    });
    queueEmpty.hidden = items.length > 0;
  }

  /* ---- chats ---- */

  function whoSaid(message) {
    if (message.from === "survivor") { return "Them"; }
    if (message.from === "advocate") { return message.author || "You"; }
    return "Harbor";
  }

  function appendMessage(thread, message) {
    var li = element("li", "thread-message from-" + message.from);
    if (message.safety) { li.classList.add("safety-" + message.safety); }
    li.appendChild(element("span", "who", whoSaid(message) + ":"));
    li.appendChild(document.createTextNode(" " + message.text));
    if (message.safety) {
      li.appendChild(element("span", "safety-flag",
        message.safety === "danger" ? " (danger: Harbor sent 911 and the hotline)" :
                                      " (self-harm: Harbor sent 988)"));
    }
    thread.appendChild(li);
  }

  function fillTransfer(select) {
    var current = select.value;
    select.textContent = "";
    var toQueue = element("option", "", "the queue");
    toQueue.value = "queue";
    select.appendChild(toQueue);
    colleagues.forEach(function (colleague) {
      if (!colleague.room) { return; }
      var option = element("option", "", colleague.label);
      option.value = String(colleague.id);
      select.appendChild(option);
    });
    select.value = current && select.querySelector("option[value='" + current + "']") ?
      current : "queue";
  }

  function buildChat(chat) {
    var article = element("article", "chat");
    article.setAttribute("data-id", chat.id);
    article.appendChild(element("h3", "", channelName(chat.channel) + " · " + chat.shared.language));
    article.appendChild(element("p", "shared", sharedLine(chat.shared, false)));
    var thread = element("ol", "thread");
    thread.setAttribute("aria-live", "polite");
    article.appendChild(thread);

    var form = element("form", "reply-form");
    var label = element("label", "", "Reply");
    label.htmlFor = "reply-" + chat.id;
    var box = element("textarea");
    box.id = "reply-" + chat.id;
    box.rows = 3;
    box.maxLength = maxReply;
    var inserts = element("p", "snippets");
    (snippets[chat.language] || snippets.en).forEach(function (pair) {
      var insert = element("button", "button button-secondary snippet", pair[0]);
      insert.type = "button";
      insert.title = pair[1];
      insert.addEventListener("click", function () {
        box.value = box.value ? box.value.replace(/\s*$/, " ") + pair[1] : pair[1];
        box.focus();
      });
      inserts.appendChild(insert);
    });
    var send = element("button", "button send-reply", "Send");
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(inserts);
    form.appendChild(box);
    form.appendChild(send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = box.value.trim();
      if (!text) { announce("Type a message first."); return; }
      send.disabled = true;
      post("/console/inbox/reply", { id: chat.id, text: text })
        .then(function () { box.value = ""; poll(); })
        .catch(function (error) { announce(error.message); })
        .then(function () { send.disabled = false; });
    });
    article.appendChild(form);

    var actions = element("div", "chat-actions");
    var transferLabel = element("label", "", "Transfer to ");
    var select = element("select", "transfer-to");
    select.id = "transfer-" + chat.id;
    transferLabel.htmlFor = select.id;
    fillTransfer(select);
    var transfer = element("button", "button button-secondary transfer-button", "Transfer");
    transfer.type = "button";
    transfer.addEventListener("click", function () {
      leaving[chat.id] = true;
      post("/console/inbox/transfer", { id: chat.id, to: select.value })
        .then(function () { removeChat(chat.id); announce("Chat transferred."); poll(); })
        .catch(function (error) { delete leaving[chat.id]; announce(error.message); });
    });
    var close = element("button", "button button-danger close-button", "Close chat");
    close.type = "button";
    close.addEventListener("click", function () {
      leaving[chat.id] = true;
      post("/console/inbox/close", { id: chat.id })
        .then(function () { removeChat(chat.id); announce("Chat closed. Nothing of it is kept."); poll(); })
        .catch(function (error) {
          if (error.left) { personLeft(chat.id); return; }
          delete leaving[chat.id]; announce(error.message);
        });
    });
    actions.appendChild(transferLabel);
    actions.appendChild(select);
    actions.appendChild(transfer);
    actions.appendChild(close);
    article.appendChild(actions);
    return article;
  }

  function removeChat(id) {
    var entry = shown[id];
    if (entry) { entry.element.parentNode.removeChild(entry.element); }
    delete shown[id];
  }

  function personLeft(id) {
    var entry = shown[id];
    if (!entry) { return; }
    // Wipe the thread from the page too: nothing of it stays on either screen.
    var article = entry.element;
    article.textContent = "";
    article.classList.add("chat-left");
    article.appendChild(element("p", "person-left",
      "The person left. This chat is closed and nothing of it is kept."));
    var dismiss = element("button", "button button-secondary", "Dismiss");
    dismiss.type = "button";
    dismiss.addEventListener("click", function () { article.parentNode.removeChild(article); });
    article.appendChild(dismiss);
    delete shown[id];
    announce("The person left.");
  }

  function renderChats(mine) {
    var present = {};
    mine.forEach(function (chat) {
      present[chat.id] = true;
      var entry = shown[chat.id];
      if (!entry) {
        entry = { element: buildChat(chat), last: 0 };
        shown[chat.id] = entry;
        chats.appendChild(entry.element);
      }
      var thread = entry.element.querySelector(".thread");
      chat.messages.forEach(function (message) {
        if (message.n > entry.last) {
          appendMessage(thread, message);
          entry.last = message.n;
        }
      });
      entry.element.querySelectorAll("select.transfer-to").forEach(fillTransfer);
    });
    Object.keys(shown).forEach(function (id) {
      if (present[id]) { return; }
      if (leaving[id]) { removeChat(id); delete leaving[id]; return; }
      personLeft(id);
    });
    chatsEmpty.hidden = mine.length > 0 || chats.children.length > 0;
  }

  function poll() {
    if (polling) { return; }
    polling = true;
    fetch("/console/inbox/state", { credentials: "same-origin", cache: "no-store",
                                    headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (state) {
        colleagues = state.colleagues || [];
        renderDuty(state.duty);
        renderQueue(state.queue);
        renderChats(state.mine);
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { polling = false; });
  }

  // The page was rendered by the server; from here the script draws it from the state.
  queue.textContent = "";
  chats.textContent = "";
  poll();
  window.setInterval(poll, pollMs);
}());
