"""``make run``: Django's development server with the background task worker beside it.

The worker (``manage.py db_worker``) renders thumbnails. Both run until
Ctrl-C or ``kill <pid>``, or until one of them exits; then both stop.
``HOST`` and ``PORT`` choose the address (default 127.0.0.1:8000).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

from deploy.stack import REPO_DIR, stop_process, worker_command

STOP_TIMEOUT = 5.0


def _stop(signum: int, frame: FrameType | None) -> None:
    # Ctrl-C and `kill <pid>` the same way, even when the shell that started
    # us in the background told us to ignore SIGINT.
    raise KeyboardInterrupt


def main() -> int:
    address = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    # Sessions of their own, so that we stop them (runserver with its
    # autoreloader child) as whole process groups, the worker last.
    children = [
        subprocess.Popen(
            [sys.executable, "manage.py", "runserver", address],
            cwd=REPO_DIR,
            start_new_session=True,
        ),
        subprocess.Popen(worker_command(), cwd=REPO_DIR, start_new_session=True),
    ]
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            stop_process(child, STOP_TIMEOUT)
    return 0 if children[0].returncode in (0, -signal.SIGTERM) else 1


if __name__ == "__main__":
    sys.exit(main())
