"""Start gunicorn behind nginx or Apache, configured from the templates in deploy/.

``make serve`` and the integration tests both use :class:`Stack`: it renders
``deploy/nginx.conf`` or ``deploy/apache.conf`` into a directory of its own,
starts gunicorn (per app server: the pages' pool and the low-priority ZIP
pool), the front server and (if asked) the background task worker as
child processes on free ports (never the system service), waits until they
answer and stops them again.
"""

from __future__ import annotations

import atexit
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Literal
from urllib.parse import urlsplit

from files import contract

DEPLOY_DIR = Path(__file__).resolve().parent
REPO_DIR = DEPLOY_DIR.parent
APACHE_MODULES_DIR = Path("/usr/lib/apache2/modules")
# Folder ZIPs, the one large body Python sends itself, are served by a gunicorn
# pool of their own at this nice value (the front server routes
# files.contract.ZIP_LOCATION there): on a busy CPU the pages go first, an idle
# one still runs the ZIPs at full speed. Whole processes, not threads: a
# thread's nice value does not reach the GIL, and a preempted low-priority
# thread holding it stalls every page of its process (docs/performance.md).
ZIP_POOL_NICE = 19
# Where Debian puts nginx and apache2; not on an ordinary user's PATH.
SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin"

Server = Literal["nginx", "apache"]
SERVERS: tuple[Server, ...] = ("nginx", "apache")

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class StackError(RuntimeError):
    """A process of the stack did not start, or stopped on its own."""


def render(template: str, values: Mapping[str, object]) -> str:
    """Fill every ``{{ name }}`` in template; a missing value is an error, not a blank."""
    missing = sorted({name for name in _PLACEHOLDER.findall(template) if name not in values})
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    for name, value in values.items():
        # Config values are quoted or bare words in the templates; a quote or
        # newline in a path would silently change the config's meaning.
        if any(char in str(value) for char in '"\n\r'):
            raise ValueError(f"{name}={value!r} cannot be put in a config file")
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)


def s3_values(env: Mapping[str, str]) -> dict[str, object]:
    """Where nginx's /_s3/ location fetches presigned URLs, from Django's AWS_* settings.

    Presigned URLs point at AWS_S3_ENDPOINT_URL (path-style addressing) or at
    <bucket>.<endpoint host> (virtual-hosted); SigV4 signed that Host header.
    """
    timeout = env.get("PORTAL_S3_TIMEOUT") or "20"
    endpoint = env.get("AWS_S3_ENDPOINT_URL")
    if env.get("PORTAL_STORAGE") != "s3":
        # Never used with local storage; port 9 (discard) answers nobody.
        endpoint = "http://127.0.0.1:9"
    elif not endpoint:
        region = env.get("AWS_S3_REGION_NAME") or "us-east-1"
        endpoint = f"https://s3.{region}.amazonaws.com"
    parts = urlsplit(endpoint)
    hostname = parts.hostname or "127.0.0.1"
    if env.get("AWS_S3_ADDRESSING_STYLE") == "virtual":
        hostname = f"{env.get('AWS_STORAGE_BUCKET_NAME', 'portal')}.{hostname}"
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    return {
        "s3_scheme": parts.scheme,
        "s3_server": f"{hostname}:{port}",
        "s3_host": hostname if port == default_port else f"{hostname}:{port}",
        "s3_hostname": hostname,
        "s3_timeout": int(timeout),
    }


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    return free_ports([host])[0]


def free_ports(hosts: list[str]) -> list[int]:
    """A port for each host, nobody's right now and all different.

    Each is held until all are found: asked for one after another, the OS may
    hand back a port it gave a moment before (seen in CI: nginx and granian
    given one port, granian bound it first, and the tests talked to granian).
    """
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in hosts]
    try:
        for sock, host in zip(sockets, hosts, strict=True):
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def server_binary(server: Server) -> str | None:
    name = "nginx" if server == "nginx" else "apache2"
    return shutil.which(name, path=f"{os.environ.get('PATH', '')}:{SBIN_PATH}")


def unavailable(server: Server) -> str | None:
    """Why this machine cannot run the stack for server, or None if it can."""
    if server not in SERVERS:
        return f"unknown server {server!r}; expected one of {', '.join(SERVERS)}"
    if server_binary(server) is None:
        package = "nginx" if server == "nginx" else "apache2 libapache2-mod-xsendfile"
        return f"{server} is not installed (apt-get install {package})"
    if server == "apache":
        for module in ("mod_proxy_http.so", "mod_xsendfile.so"):
            if not (APACHE_MODULES_DIR / module).exists():
                return f"{APACHE_MODULES_DIR / module} is missing (libapache2-mod-xsendfile?)"
    return None


def let_others_search(paths: Iterable[Path]) -> None:
    """Add the 'search' bit for others on every directory down to each path.

    Started as root, nginx and Apache workers drop to www-data, which must
    traverse the directories above the media root, static root and temp dirs
    (pytest's are 0700). Search, not read: nothing becomes listable.
    """
    for path in paths:
        for directory in (path, *path.parents):
            mode = directory.stat().st_mode
            if not mode & stat.S_IXOTH:
                directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


@dataclass
class Stack:
    """gunicorn + nginx (X-Accel-Redirect) or + Apache (mod_xsendfile), as children.

    ``env`` is the environment gunicorn runs with (database, secret key...);
    the stack adds the settings that must agree with the rendered config:
    PORTAL_SENDFILE, PORTAL_MEDIA_ROOT, PORTAL_STATIC_ROOT, PORTAL_MAX_UPLOAD_SIZE.
    nginx's config takes PORTAL_SIGNED_URL_SECRET from ``env`` when it is set.
    """

    server: Server
    base_dir: Path
    media_root: Path
    static_root: Path
    max_upload_size: int
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    host: str = "127.0.0.1"
    port: int = 0
    log_dir: Path | None = None
    # The WSGI app gunicorn serves; None starts the front server alone (the
    # bench's nginx reference, which sends files with no app behind it).
    app: str | None = "portal.wsgi:application"
    # The front server's config; by default deploy/<server>.conf.
    template: Path | None = None
    workers: int | None = None
    # Also run `manage.py db_worker` (thumbnails), with gunicorn's environment.
    worker: bool = False
    # Gunicorn instances, each its own master on its own port, all in nginx's
    # one upstream block: what several app servers share is proved here.
    app_servers: int = 1
    # Behind nginx, the download clicks (files.contract.CLICK_LOCATION) go to
    # granian serving the same app: 0.5-1 ms of CPU less per click than gunicorn
    # (docs/performance.md). False: to gunicorn with the rest (the bench's
    # comparison row). Behind Apache everything goes to gunicorn.
    granian: bool = True
    # The account nginx/Apache workers switch to when started as root.
    worker_user: str = "www-data"
    start_timeout: float = 30.0
    stop_timeout: float = 5.0

    gunicorn_ports: list[int] = field(init=False, default_factory=list)
    granian_port: int = field(init=False, default=0)
    _procs: dict[str, subprocess.Popen[bytes]] = field(init=False, default_factory=dict)
    _outputs: list[IO[bytes]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        reason = unavailable(self.server)
        if reason:
            raise StackError(reason)
        self.base_dir = self.base_dir.resolve()
        self.media_root = self.media_root.resolve()
        self.static_root = self.static_root.resolve()
        self.log_dir = (self.log_dir or self.base_dir / "log").resolve()
        if self.app_servers < 1:
            raise StackError(f"app_servers must be at least 1, not {self.app_servers}")
        if self.app_servers > 1 and self.server != "nginx":
            # mod_proxy_balancer could do it; nginx's upstream is the tested profile.
            raise StackError("several app servers are supported behind nginx only")

    @property
    def logs(self) -> Path:
        """Where every log and the children's output go."""
        return self.log_dir or self.base_dir / "log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.base_dir / f"{self.server}.conf"

    @property
    def gunicorn_port(self) -> int:
        """The first app server's port (the only one, unless app_servers > 1)."""
        return self.gunicorn_ports[0]

    @property
    def gunicorn_names(self) -> list[str]:
        """Process and log names: gunicorn, then gunicorn-2, gunicorn-3..."""
        return ["gunicorn" if i == 0 else f"gunicorn-{i + 1}" for i in range(self.app_servers)]

    @property
    def zip_names(self) -> list[str]:
        """Each app server's pool for folder ZIPs: gunicorn-zip, gunicorn-2-zip..."""
        return [f"{name}-zip" for name in self.gunicorn_names]

    @property
    def zip_sockets(self) -> list[Path]:
        """Where each ZIP pool listens: a unix socket, not TCP, as the front server relays
        every byte of a ZIP (nginx: about 40% less CPU per GB, docs/performance.md)."""
        return [self.base_dir / "run" / f"{name}.sock" for name in self.zip_names]

    @property
    def gunicorn_urls(self) -> list[str]:
        """Each app server's own address, bypassing the front server."""
        return [f"http://127.0.0.1:{port}" for port in self.gunicorn_ports]

    @property
    def click_url(self) -> str:
        """The app server the front server sends download clicks to: granian, else gunicorn."""
        if self.granian_port:
            return f"http://127.0.0.1:{self.granian_port}"
        return self.gunicorn_urls[0]

    @property
    def gunicorn_access_log(self) -> Path:
        return self.access_log("gunicorn")

    def access_log(self, name: str) -> Path:
        return self.logs / f"{name}-access.log"

    def worker_pids(self, name: str = "gunicorn") -> list[int]:
        """Pids of the workers of app server `name`: its master's children, now."""
        master = self._procs[name].pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return sorted(int(pid) for pid in children)

    @property
    def temp_dir(self) -> Path:
        """nginx's client_body_temp_path and friends live below this."""
        return self.base_dir / "tmp"

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def render_config(self) -> Path:
        """Write the front server's config for this stack and return its path."""
        for directory in (self.base_dir, self.logs, self.temp_dir, self.base_dir / "run"):
            directory.mkdir(parents=True, exist_ok=True)
        self.media_root.mkdir(parents=True, exist_ok=True)
        self.static_root.mkdir(parents=True, exist_ok=True)

        as_root = os.geteuid() == 0
        if as_root:
            user = pwd.getpwnam(self.worker_user)
            group = grp.getgrgid(user.pw_gid).gr_name
            # run/: the ZIP pools' sockets, which nginx's workers connect to.
            let_others_search(
                [self.media_root, self.static_root, self.temp_dir, self.base_dir / "run"]
            )
        else:
            user = pwd.getpwuid(os.getuid())
            group = grp.getgrgid(os.getgid()).gr_name
        upstreams = " ".join(
            f"server 127.0.0.1:{port} fail_timeout=0;" for port in self.gunicorn_ports
        )
        values: dict[str, object] = {
            "listen": f"{self.host}:{self.port}",
            "server_name": self.host,
            "upstream": f"127.0.0.1:{self.gunicorn_ports[0]}",
            # One line: render() refuses a newline in a value.
            "upstream_servers": upstreams,
            "click_location": contract.CLICK_LOCATION,
            "click_servers": f"server 127.0.0.1:{self.granian_port} fail_timeout=0;"
            if self.granian_port
            else upstreams,
            "zip_upstream": f"unix:{self.zip_sockets[0]}|http://localhost",
            "zip_upstream_servers": " ".join(
                f"server unix:{path} fail_timeout=0;" for path in self.zip_sockets
            ),
            # Without Django's secret, one nobody knows: no signed URL verifies.
            "signed_url_secret": self.env.get("PORTAL_SIGNED_URL_SECRET")
            or secrets.token_urlsafe(32),
            "download_csp": contract.DOWNLOAD_CSP,
            "signed_location": contract.SIGNED_LOCATION,
            "zip_location": contract.ZIP_LOCATION,
            **s3_values(self.env),
            "media_root": self.media_root,
            "static_root": self.static_root,
            "max_request_body": self.max_upload_size + contract.MULTIPART_HEADROOM,
            "log_dir": self.logs,
            "temp_dir": self.temp_dir,
            "run_dir": self.base_dir / "run",
            "server_root": self.base_dir,
            "modules_dir": APACHE_MODULES_DIR,
            "user": user.pw_name,
            "group": group,
            # nginx ignores `user` (with a warning) unless started as root.
            "user_directive": f"user {user.pw_name} {group};"
            if as_root
            else "# user: not started as root, so the workers keep our own uid",
        }
        template = (self.template or DEPLOY_DIR / f"{self.server}.conf").read_text()
        self.config_path.write_text(render(template, values))
        return self.config_path

    def gunicorn_env(self) -> dict[str, str]:
        return {
            **self.env,
            "PORTAL_SENDFILE": self.server,
            "PORTAL_MEDIA_ROOT": str(self.media_root),
            "PORTAL_STATIC_ROOT": str(self.static_root),
            "PORTAL_MAX_UPLOAD_SIZE": str(self.max_upload_size),
        }

    def start(self) -> None:
        if self._procs:
            raise StackError("already started")
        with_granian = self.granian and self.server == "nginx" and self.app is not None
        front, *app_ports = free_ports(
            [self.host] + ["127.0.0.1"] * (self.app_servers + (1 if with_granian else 0))
        )
        self.port = self.port or front
        self.gunicorn_ports = app_ports[: self.app_servers]
        self.granian_port = app_ports[self.app_servers] if with_granian else 0
        self.render_config()
        # Should the caller never get to stop() (an interrupted test run).
        atexit.register(self.stop)
        try:
            if self.app is not None:
                binds = [f"127.0.0.1:{port}" for port in self.gunicorn_ports]
                binds += [f"unix:{path}" for path in self.zip_sockets]
                pools = list(zip([*self.gunicorn_names, *self.zip_names], binds, strict=True))
                for name, bind in pools:
                    command = self._gunicorn_command(self.app, name, bind)
                    if name in self.zip_names:
                        command = ["nice", "-n", str(ZIP_POOL_NICE), *command]
                    self._spawn(name, command, self.gunicorn_env())
                if self.granian_port:
                    env = self.gunicorn_env()
                    self._spawn("granian", granian_command(self.app, self.granian_port, env), env)
                    self._wait_for_bind("granian", f"127.0.0.1:{self.granian_port}")
                for name, bind in pools:
                    self._wait_for_bind(name, bind)
            if self.worker:
                self._spawn("worker", worker_command(), self.gunicorn_env())
            self._spawn(self.server, self._server_command(), dict(os.environ))
            self._wait_for_http(self.server, self.url + "/")
        except BaseException:
            self.stop()
            raise

    def _gunicorn_command(self, app: str, name: str, bind: str) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(DEPLOY_DIR / "gunicorn.conf.py"),
            "--chdir",
            str(REPO_DIR),
            "--bind",
            bind,
            "--access-logfile",
            str(self.access_log(name)),
            "--error-logfile",
            str(self.logs / f"{name}-error.log"),
        ]
        if self.workers:
            command += ["--workers", str(self.workers)]
        return [*command, app]

    def _server_command(self) -> list[str]:
        binary = server_binary(self.server)
        if binary is None:
            raise StackError(f"{self.server} is not installed")
        if self.server == "nginx":
            # -e: errors before the config is read go to our log, not /var/log.
            return [
                binary,
                "-p",
                str(self.base_dir),
                "-c",
                str(self.config_path),
                "-e",
                str(self.logs / "nginx-error.log"),
                "-g",
                "daemon off;",
            ]
        return [binary, "-d", str(self.base_dir), "-f", str(self.config_path), "-DFOREGROUND"]

    def _spawn(self, name: str, command: list[str], env: Mapping[str, str]) -> None:
        output = (self.logs / f"{name}.out").open("ab")
        self._outputs.append(output)
        # A session of its own: Ctrl-C reaches only us, and we stop the children
        # in order (front server first) and can kill a whole process group.
        self._procs[name] = subprocess.Popen(
            command,
            cwd=REPO_DIR,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _failure(self, name: str, problem: str) -> StackError:
        logs = (self.logs / f"{name}.out", self.logs / f"{name}-error.log")
        details = "\n".join(f"--- {log}\n{_tail(log)}" for log in logs if _tail(log))
        return StackError(f"{name} {problem}\n{details}".rstrip())

    @property
    def processes(self) -> list[str]:
        """The names of the processes running: nginx or apache, gunicorn..., granian, worker."""
        return list(self._procs)

    def pid(self, name: str) -> int:
        """The pid of one of the stack's processes: "gunicorn" (the master), "worker", ..."""
        return self._procs[name].pid

    def check(self) -> None:
        """Raise StackError if a process of the stack has exited."""
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                raise self._failure(name, f"exited with status {proc.returncode}")

    def _wait_for_bind(self, name: str, bind: str) -> None:
        """Until `bind` (gunicorn's form: host:port or unix:path) accepts a connection."""
        path = bind.removeprefix("unix:") if bind.startswith("unix:") else None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            self.check()
            try:
                if path is not None:
                    with socket.socket(socket.AF_UNIX) as unix:
                        unix.settimeout(1)
                        unix.connect(path)
                    return
                host, port = bind.rsplit(":", 1)
                with socket.create_connection((host, int(port)), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise self._failure(name, f"did not listen on {bind} within {self.start_timeout}s")

    def _wait_for_http(self, name: str, url: str) -> None:
        """Until the front server answers with anything but a gateway error."""
        deadline = time.monotonic() + self.start_timeout
        opener = urllib.request.build_opener(_NoRedirect)
        while time.monotonic() < deadline:
            self.check()
            try:
                opener.open(url, timeout=5).close()  # noqa: S310 - our own http:// URL
                return
            except urllib.error.HTTPError as error:
                if error.code not in (502, 503, 504):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise self._failure(name, f"did not answer {url} within {self.start_timeout}s")

    def stop(self) -> None:
        """Stop each process, front server first, the task worker last."""
        atexit.unregister(self.stop)
        for name in [self.server, *self.gunicorn_names, *self.zip_names, "granian", "worker"]:
            proc = self._procs.pop(name, None)
            if proc is not None:
                stop_process(proc, self.stop_timeout)
        self._procs.clear()
        for output in self._outputs:
            output.close()
        self._outputs.clear()

    def wait(self, poll_interval: float = 0.5) -> None:
        """Block until a process exits on its own (then raise StackError)."""
        while True:
            self.check()
            time.sleep(poll_interval)


def stop_process(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM a child started in a session of its own; SIGKILL its group if it lingers.

    The task worker finishes the task it is running first (a thumbnail: under
    a second); gunicorn's workers outlive a master killed or crashed, so the
    whole group goes, which is only ours.
    """
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def granian_command(app: str, port: int, env: Mapping[str, str]) -> list[str]:
    """granian serving `app` over WSGI: the download clicks, behind nginx.

    A worker process per CPU this process may use (or GRANIAN_WORKERS), each
    with 4 threads for the database's waits (or GRANIAN_BLOCKING_THREADS).
    No access log of its own: nginx's names the app server of every request.
    """
    workers = env.get("GRANIAN_WORKERS") or str(len(os.sched_getaffinity(0)))
    threads = env.get("GRANIAN_BLOCKING_THREADS") or "4"
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        workers,
        "--blocking-threads",
        threads,
        "--respawn-failed-workers",
        app,
    ]


def worker_command() -> list[str]:
    """The background task worker (django-tasks-db), as `make run` and `make serve` start it."""
    return [sys.executable, "manage.py", "db_worker", "--no-reload", "--verbosity", "1"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect (to the login page) already proves the stack answers."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
