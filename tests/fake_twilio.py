"""A local fake of Twilio's REST API (the Messages and Media resources) that records
every call. Nothing leaves the machine: the app is pointed at it with TWILIO_API_URL.

It answers the shapes Twilio's Python library reads: a page of
/2010-04-01/Accounts/{AccountSid}/Messages.json filtered by From and To (with
next_page_uri paging), a message's Media.json, and DELETE of either (204; 404 when
absent). A message in flight (status "queued") refuses deletion until `deliver`.

It also takes POST Messages.json as Twilio does (201 and the message resource; the
message is kept, "sent", under a sid SMfake<n>), for the hand-off's SMS (issue 19):
`messages_sent()` returns their form fields, `wait_for_deletes` waits for DELETEs, and
`fail_next` makes the next call(s) answer 500, as an outage would. `serve_fake_twilio()`
starts one and returns (fake, stop).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
_MESSAGE = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/(\w+)\.json$")
_MEDIA_LIST = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/(\w+)/Media\.json$")
_MEDIA = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/(\w+)/Media/(\w+)\.json$")


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict
    user: str  # the Basic-auth user name (account SID or API key SID)
    form: dict = field(default_factory=dict)

    def __getitem__(self, name: str):
        """call["path"] as well as call.path (the hand-off tests read calls as dicts)."""
        return getattr(self, name)


@dataclass
class FakeMessage:
    sid: str
    sender: str
    recipient: str
    status: str = "delivered"
    media: list[str] = field(default_factory=list)


class FakeTwilio:
    """The fake API, its messages, and the calls it received."""

    def __init__(self, account_sid: str = "ACfake") -> None:
        self.account_sid = account_sid
        self.fail_next = 0
        self._sent_ids = itertools.count(1)
        self.messages: dict[str, FakeMessage] = {}
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, sender: str, recipient: str, status: str = "delivered",
            media: int = 0) -> FakeMessage:
        """Put a message in the account; return it."""
        number = next(self._ids)
        message = FakeMessage(sid=f"SM{number:032x}", sender=sender, recipient=recipient,
                              status=status,
                              media=[f"ME{number:016x}{n:016x}" for n in range(media)])
        with self.lock:
            self.messages[message.sid] = message
        return message

    def deliver(self, sid: str) -> None:
        with self.lock:
            self.messages[sid].status = "delivered"

    def deleted(self) -> list[str]:
        """Return the paths of every DELETE received."""
        with self.lock:
            return [call.path for call in self.calls if call.method == "DELETE"]

    def messages_sent(self) -> list[dict]:
        """Return the form fields of every message sent (POST Messages.json)."""
        with self.lock:
            return [call.form for call in self.calls
                    if call.method == "POST" and call.path.endswith("/Messages.json")]

    def wait_for_deletes(self, count: int, timeout: float = 5.0) -> set[str]:
        """Wait until `count` distinct paths were deleted; return those paths."""
        deadline = time.monotonic() + timeout
        while True:
            deleted = set(self.deleted())
            if len(deleted) >= count or time.monotonic() > deadline:
                return deleted
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)

    def _json(self, payload, status=200) -> Response:
        return Response(json.dumps(payload), status=status, mimetype="application/json")

    def _record(self, request: Request) -> None:
        user = ""
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user = base64.b64decode(header[6:]).decode().split(":", 1)[0]
        with self.lock:
            self.calls.append(Call(request.method, request.path, dict(request.args), user,
                                   request.form.to_dict()))

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        self._record(request)
        with self.lock:
            failing = self.fail_next > 0
            self.fail_next -= 1 if failing else 0
        response = (self._json({"code": 20500, "message": "down", "status": 500}, 500)
                    if failing else self._route(request))
        return response(environ, start_response)

    def _message_json(self, message: FakeMessage) -> dict:
        return {"sid": message.sid, "account_sid": self.account_sid, "from": message.sender,
                "to": message.recipient, "status": message.status, "body": "(redacted)",
                "num_media": str(len(message.media)),
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message.sid}.json"}

    def _route(self, request: Request) -> Response:
        path = request.path
        if _MESSAGES.match(path) and request.method == "POST":
            message = FakeMessage(sid=f"SMfake{next(self._sent_ids):026d}",
                                  sender=request.form.get("From", ""),
                                  recipient=request.form.get("To", ""), status="sent")
            with self.lock:
                self.messages[message.sid] = message
            return self._json(self._message_json(message), 201)
        if (match := _MESSAGES.match(path)) and request.method == "GET":
            with self.lock:
                found = [m for m in self.messages.values()
                         if m.sender == request.args.get("From")
                         and m.recipient == request.args.get("To")]
            size = int(request.args.get("PageSize", 50))
            page = int(request.args.get("Page", 0))
            chunk = found[page * size:(page + 1) * size]
            next_uri = None
            if (page + 1) * size < len(found):
                next_uri = (f"/2010-04-01/Accounts/{match[1]}/Messages.json?" + urlencode(
                    {"From": request.args.get("From"), "To": request.args.get("To"),
                     "PageSize": size, "Page": page + 1}))
            return self._json({"messages": [self._message_json(m) for m in chunk],
                               "next_page_uri": next_uri, "page": page, "page_size": size,
                               "uri": path, "first_page_uri": path, "previous_page_uri": None,
                               "start": page * size, "end": page * size + len(chunk)})
        if (match := _MEDIA_LIST.match(path)) and request.method == "GET":
            with self.lock:
                message = self.messages.get(match[2])
                media = list(message.media) if message else []
            return self._json({"media_list": [
                {"sid": sid, "account_sid": match[1], "parent_sid": match[2],
                 "content_type": "image/jpeg"} for sid in media],
                "next_page_uri": None, "page": 0, "page_size": 50, "uri": path,
                "first_page_uri": path, "previous_page_uri": None, "start": 0,
                "end": len(media)})
        if (match := _MEDIA.match(path)) and request.method == "DELETE":
            with self.lock:
                message = self.messages.get(match[2])
                if message is None or match[3] not in message.media:
                    return self._json({"code": 20404, "status": 404}, 404)
                message.media.remove(match[3])
            return Response(status=204)
        if (match := _MESSAGE.match(path)) and request.method == "DELETE":
            with self.lock:
                message = self.messages.get(match[2])
                if message is None:
                    return self._json({"code": 20404, "status": 404}, 404)
                if message.status == "queued":
                    return self._json({"code": 20009, "status": 409, "message":
                                       "Cannot delete message in flight"}, 409)
                del self.messages[match[2]]
            return Response(status=204)
        return self._json({"code": 20404, "status": 404}, 404)


def serve_fake_twilio(account_sid: str = "ACfake") -> tuple[FakeTwilio, object]:
    """Start a fake; return (FakeTwilio, stop)."""
    fake = FakeTwilio(account_sid)
    return fake, fake.stop
