"""``make serve``: Portal behind gunicorn and nginx (or Apache), as in production.

Migrates, collects static files, then runs gunicorn plus nginx with
X-Accel-Redirect and signed URLs (``SERVER=apache``: Apache with mod_xsendfile),
and the background task worker (thumbnails), on
http://127.0.0.1:8080 (``PORT``, ``HOST`` override) until Ctrl-C. ``APP_SERVERS=N``
runs N gunicorn instances, each its own master and port, behind nginx's one
upstream. Logs go to ``var/log/``; the rendered config lives in a temporary
directory under ``var/``.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import cast

from deploy.stack import REPO_DIR, SERVERS, Server, Stack, StackError, unavailable
from portal.env import envint, persistent_secret


def _stop(signum: int, frame: FrameType | None) -> None:
    # Ctrl-C and `kill <pid>` stop the children the same way, even when the
    # shell that started us in the background told us to ignore SIGINT.
    raise KeyboardInterrupt


def _signed_url_secret() -> str:
    """PORTAL_SIGNED_URL_SECRET for this checkout, kept across restarts so a
    link handed out just before one still works."""
    var_dir = Path(os.environ.get("PORTAL_VAR_DIR", REPO_DIR / "var"))
    return persistent_secret(var_dir / "signed_url_secret", 32)


def main() -> int:
    server = os.environ.get("SERVER", "nginx")
    if server not in SERVERS:
        print(f"SERVER must be one of {', '.join(SERVERS)}, not {server!r}", file=sys.stderr)
        return 2
    reason = unavailable(cast(Server, server))
    if reason:
        print(f"cannot serve with {server}: {reason}", file=sys.stderr)
        return 1
    # Before Django reads its settings, so the checks below see the real backend.
    os.environ["PORTAL_SENDFILE"] = server
    if server == "nginx":
        os.environ.setdefault("PORTAL_SIGNED_URL_SECRET", _signed_url_secret())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # How many processes answer, for the check that a per-process cache would
    # split guess limits between them (portal.checks): gunicorn's default workers.
    workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)) * 2 + 1)
    os.environ["PORTAL_APP_PROCESSES"] = str(workers * envint("APP_SERVERS", 1))

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)

    var_dir = Path(settings.VAR_DIR)
    base_dir = Path(tempfile.mkdtemp(prefix=f"serve-{server}-", dir=var_dir))
    try:
        stack = Stack(
            server=cast(Server, server),
            base_dir=base_dir,
            media_root=Path(settings.MEDIA_ROOT),
            static_root=Path(settings.STATIC_ROOT),
            max_upload_size=settings.PORTAL_MAX_UPLOAD_SIZE,
            host=os.environ.get("HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT", "8080")),
            log_dir=var_dir / "log",
            app_servers=envint("APP_SERVERS", 1),
            worker=True,
        )
    except StackError as error:
        shutil.rmtree(base_dir, ignore_errors=True)
        print(f"cannot serve: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
        apps = ", ".join(stack.gunicorn_urls)
        print(
            f"Portal: {stack.url}/ ({server} in front of gunicorn at {apps}, "
            f"download clicks at {stack.click_url}, and the task worker); logs in {stack.logs}"
        )
        print("Ctrl-C to stop.", flush=True)
        stack.wait()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    except StackError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        stack.stop()
        shutil.rmtree(base_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
