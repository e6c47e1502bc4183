"""A local fake of Twilio's REST API that records every call (tests only).

Serves POST /2010-04-01/Accounts/<sid>/Messages.json as Twilio does (201 and the message
resource as JSON) and DELETE of a message (204), on 127.0.0.1; `calls` keeps each
request's method, path, form fields and basic-auth user. `fail_next` makes the next
call answer 500, as an outage would.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class FakeTwilio:
    """The running fake: its base URL (for TWILIO_API_URL) and the calls it received."""

    url: str = ""
    calls: list[dict] = field(default_factory=list)
    fail_next: int = 0

    def wait_for_deletes(self, count: int, timeout: float = 5.0) -> set[str]:
        """Wait until `count` messages were deleted; return the paths deleted."""
        deadline = time.monotonic() + timeout
        while True:
            deleted = {call["path"] for call in self.calls if call["method"] == "DELETE"}
            if len(deleted) >= count or time.monotonic() > deadline:
                return deleted
            time.sleep(0.02)

    def messages_sent(self) -> list[dict]:
        return [call["form"] for call in self.calls
                if call["method"] == "POST" and call["path"].endswith("/Messages.json")]


def serve_fake_twilio():
    """Start the fake; return (FakeTwilio, stop)."""
    fake = FakeTwilio()
    sids = (f"SMfake{n:026d}" for n in itertools.count(1))
    lock = threading.Lock()

    @Request.application
    def application(request: Request) -> Response:
        with lock:
            fake.calls.append({
                "method": request.method, "path": request.path,
                "form": request.form.to_dict(),
                "user": request.authorization.username if request.authorization else None,
            })
            if fake.fail_next:
                fake.fail_next -= 1
                return Response('{"code": 20500, "message": "down", "status": 500}',
                                status=500, mimetype="application/json")
        if request.method == "DELETE":
            return Response(status=204)
        sid = next(sids)
        body = ('{"sid": "%s", "status": "queued", "to": "%s", "from": "%s", "body": ""}'
                % (sid, request.form.get("To", ""), request.form.get("From", "")))
        return Response(body, status=201, mimetype="application/json")

    server = make_server("127.0.0.1", 0, application, threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(timeout=5)

    return fake, stop
