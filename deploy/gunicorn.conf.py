"""Gunicorn settings for Portal behind nginx or Apache.

Run from the checkout: ``gunicorn -c deploy/gunicorn.conf.py``. Command-line
flags win over this file, which is how ``deploy/stack.py`` sets the address and
log files of each instance it starts.
"""

from __future__ import annotations

import os
from typing import Any

wsgi_app = "portal.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threads, not just processes: behind Apache (which streams request bodies) a
# slow upload occupies one thread, not a whole worker, and the worker keeps
# answering its heartbeat while a 2 GiB body is hashed. A folder ZIP, the one
# large body Python sends itself, likewise holds one thread for its whole
# download, in the ZIP pool: a second gunicorn with this same file, run at
# `nice -n 19` so the pages' pool gets the CPU first (deploy/stack.py
# ZIP_POOL_NICE; README, "Folders as one ZIP"; docs/performance.md). Expecting
# more concurrent ZIPs than its 2 x CPUs + 1 processes x 4 threads? Raise
# GUNICORN_THREADS for it.
worker_class = "gthread"
# The CPUs this process may use (CPU pinning, cgroup cpusets), not all the machine has.
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)) * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

# With gthread the timeout detects a hung worker; it does not cap how long one
# request (a large upload) may take.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
# On SIGTERM, let running uploads finish for this long before killing them.
graceful_timeout = 30
# nginx opens a connection per request; Apache reuses one only within a
# second of its last request (ttl=1 in deploy/apache.conf), so this stays above 1.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 5)

# Gunicorn 27 opens a control socket in ~/.gunicorn by default; Portal does
# not use gunicornc, and every instance on the machine would share that path.
control_socket_disable = True

# Trust X-Forwarded-* only from the front server on this machine.
forwarded_allow_ips = "127.0.0.1,::1"

# The combined format, with %(B)s = bytes of body Python itself wrote: 0 for a
# download, which proves nginx/Apache sent the file. The X-Accel-Redirect or
# X-Sendfile target is logged too, to trace what the front server was told.
accesslog = "-"
access_log_format = (
    '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(B)s "%(f)s" "%(a)s" %(M)sms '
    '"%({x-accel-redirect}o)s" "%({x-sendfile}o)s"'
)
errorlog = "-"
loglevel = "info"


def child_exit(server: Any, worker: Any) -> None:
    """In the master, after a worker exited: remove the upload temp files it left.

    A worker killed mid-upload cannot clean up after itself; its files carry its
    pid. Imported here, not above: the master reads settings only when needed.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from files.uploads.handler import remove_temp_files_of

    for path in remove_temp_files_of(worker.pid):
        server.log.warning("removed %s, left by worker %s", path, worker.pid)


def when_ready(server: Any) -> None:
    """In the master, once listening: warn when guess limits would count per worker.

    A per-process cache (CACHE_URL=locmem://) with several workers lets each
    worker count its own guesses (portal.checks, portal.W001).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django
    from django.conf import settings

    django.setup(set_prefix=False)
    from portal.checks import per_process_cache_warnings

    for warning in per_process_cache_warnings(
        str(settings.CACHES["default"]["BACKEND"]), server.cfg.workers
    ):
        server.log.warning("%s %s (%s)", warning.msg, warning.hint, warning.id)
