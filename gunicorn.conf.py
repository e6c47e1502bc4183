"""gunicorn's settings for Harbor: what the Procfile starts, and what the tests start.

gevent workers, because slow clients must not hold the workers that answer survivors.
gunicorn's sync and gthread workers give each connection a thread (or a process) for as
long as its request body takes to arrive: 80 clients sending one byte every 2 s hold
every thread, and a signed EXIT waits past Twilio's 15 s. A gevent worker gives each
connection a greenlet instead, parked for free while it waits on its socket, so the
slow ones cost memory and never a turn. gevent is gunicorn's own async worker (the
`gunicorn[gevent]` extra), psycopg 3 waits cooperatively under it, and redis-py uses the
patched sockets.

The time any one request may take to arrive is bounded twice: headers within
`keepalive` seconds (gunicorn's gevent worker times out the request line and headers),
the body within REQUEST_BODY_SECONDS (bot.request_bodies). `worker_connections` caps
what one worker holds open at once; past it, the kernel's listen backlog queues.

Every value can be overridden on gunicorn's command line (tests pass --bind and
--workers); WEB_CONCURRENCY and PORT are the platform's usual variables.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gevent"
worker_connections = 500
# Well inside Twilio's 15 seconds: a worker that stops answering its heartbeat (a turn
# stuck in C code that never yields) is replaced after 10 s.
timeout = 10
graceful_timeout = 10
keepalive = 5
accesslog = "-"
# Method, path (no query string: it may carry a token), status, seconds. Never a body.
access_log_format = "%(m)s %(U)s %(s)s %(L)ss"
# gunicorn 25.1+ opens a management socket in $HOME (worker count, reload, shutdown):
# nothing here uses it, and one path shared by every gunicorn on the machine is no place
# for a control interface. (Older gunicorn ignores the unknown name.)
control_socket_disable = True
