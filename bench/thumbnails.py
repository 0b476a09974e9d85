"""The thumbnail targets (issue 7): `python -m bench.run --only thumbnails`.

(t1) A 50-megapixel JPEG (8660 x 5774, EXIF orientation 6, about 24 MB):
     rendered in this process, then uploaded through nginx to a stack with
     its task worker (`manage.py db_worker`); the task's own start and finish
     times come from the queue table, the worker's peak RSS from /proc.
(t2) A grid page of 100 generated thumbnails in Chromium: the time until the
     last image has arrived, Portal (signed thumbnail URLs) against the same
     page with its images rewritten to a plain nginx serving the same files.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from PIL import Image

from bench.servers import cpu_affinity, memory_kib, static_nginx
from deploy.stack import REPO_DIR, Stack
from tests.tooling import PortalClient

if TYPE_CHECKING:
    from bench.run import Bench

PHOTO_SIZE = (8660, 5774)  # 50.0 megapixels
RENDER_RUNS = 5
RENDER_TARGET = 1.0  # seconds
GRID_FILES = 100
GRID_PHOTO_SIZE = (1600, 1067)
GRID_RUNS = 7  # alternating, each in a fresh browser context (cold cache)
GRID_TARGET = 1.5  # Portal's time / nginx static's
WAIT = 120.0  # for the worker to render every thumbnail
_SIGNED_THUMB = re.compile(r'src="(/_signed/(u/[0-9]+/[0-9a-f-]{36}\.thumb\.webp)\?[^"]*)"')
# Resource Timing: when the last image's last byte arrived, from the navigation's start.
_ALL_IMAGES_LOADED = """async () => {
    const images = [...document.querySelectorAll("img.thumb")];
    await Promise.all(images.map((img) => img.decode().catch(() => null)));
    const entries = performance.getEntriesByType("resource")
        .filter((entry) => entry.initiatorType === "img" && entry.name.includes(".thumb.webp"));
    return {
        images: images.length,
        loaded: images.filter((img) => img.complete && img.naturalWidth > 0).length,
        example: images.length ? images[0].src : "",
        page: performance.getEntriesByType("navigation")[0].responseEnd,
        firstByte: Math.min(...entries.map((entry) => entry.startTime)),
        lastByte: Math.max(0, ...entries.map((entry) => entry.responseEnd)),
    };
}"""


@dataclass
class ThumbnailResults:
    photo_bytes: int = 0
    render_seconds: list[float] = field(default_factory=list)
    upload_seconds: float = 0.0
    plain_upload_seconds: float = 0.0
    # The worker's first task (a small photo): the one-time imports included.
    first_task_seconds: float = 0.0
    task_seconds: float = 0.0
    # From the upload's answer until the thumbnail view stopped answering 404.
    visible_after: float = 0.0
    worker_idle_kib: int = 0
    worker_peak_kib: int = 0
    grid_portal_ms: list[float] = field(default_factory=list)
    grid_static_ms: list[float] = field(default_factory=list)
    # When the page itself (Django's HTML) had arrived, from the navigation's start.
    grid_portal_page_ms: list[float] = field(default_factory=list)
    grid_static_page_ms: list[float] = field(default_factory=list)

    @property
    def grid_ratio(self) -> float:
        return statistics.median(self.grid_portal_ms) / statistics.median(self.grid_static_ms)


def write_photo(path: Path, size: tuple[int, int], seed: int = 0) -> None:
    """A JPEG that compresses like a photo (noise over gradients), stored sideways."""
    width, height = size
    gradient = Image.linear_gradient("L").resize(size)
    across = gradient.transpose(Image.Transpose.ROTATE_90).resize(size)
    noise = Image.effect_noise(size, 40 + seed % 16)
    image = Image.merge(
        "RGB", (gradient, Image.blend(noise, across, 0.5), Image.blend(gradient, noise, 0.3))
    )
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view, as a phone held upright writes
    image.save(path, format="JPEG", quality=90, exif=exif)


def render_in_process(bench: Bench, path: Path) -> list[float]:
    """Seconds files.thumbnails.render takes on `path`, RENDER_RUNS times, in a fresh Python."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.thumbnails", str(path)],
        cwd=REPO_DIR,
        env={**bench.env(), "DJANGO_SETTINGS_MODULE": "portal.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [float(value) for value in output.split()]


def _time_renders(path: Path) -> None:
    import django

    django.setup()
    from files.previews import thumbnails

    for _ in range(RENDER_RUNS):
        with path.open("rb") as source:
            started = time.perf_counter()
            thumbnails.render(source, "image/jpeg")
            print(time.perf_counter() - started)


def wait_for_thumbnail(client: PortalClient, file_id: str) -> float:
    started = time.perf_counter()
    deadline = started + WAIT
    while time.perf_counter() < deadline:
        response = client.session.get(
            f"{client.url}/files/{file_id}/thumbnail/", allow_redirects=False, timeout=30
        )
        if response.status_code != 404:
            return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError(f"no thumbnail for {file_id} after {WAIT:.0f} s")


def task_seconds(db_path: Path, file_id: str) -> float:
    """How long the worker's make_thumbnail task for `file_id` ran, by the queue table."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT started_at, finished_at, status FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'files.previews.tasks.make_thumbnail' "
            "AND args_kwargs LIKE ?",
            (f"%{file_id}%",),
        ).fetchall()
    if len(rows) != 1 or rows[0][2] != "SUCCESSFUL":
        raise RuntimeError(f"expected one successful thumbnail task, found {rows}")
    started, finished = (datetime.fromisoformat(value) for value in rows[0][:2])
    return (finished - started).total_seconds()


def file_ids(client: PortalClient, names: list[str]) -> list[str]:
    return [client.file_id(name) for name in names]


def photo(bench: Bench, results: ThumbnailResults) -> None:
    """(t1): the 50-megapixel JPEG, in process and through the worker."""
    from bench.run import uploaded, write_random  # bench.run imports this module

    path = bench.data_dir / "fifty-megapixels.jpg"
    write_photo(path, PHOTO_SIZE)
    results.photo_bytes = path.stat().st_size
    same_size = bench.data_dir / "fifty-megapixels.bin"
    write_random(same_size, results.photo_bytes, 3)
    warm_up = bench.data_dir / "warm-up.jpg"
    write_photo(warm_up, (800, 600))
    results.render_seconds = render_in_process(bench, path)
    with bench.stack("thumbnail", "nginx", worker=True) as stack:
        client = bench.login(stack)
        worker = stack.pid("worker")
        results.worker_idle_kib = memory_kib(worker, "VmHWM")
        # A fresh worker's first task also imports the task's modules and
        # Pillow's plugins (WebP's save loads them all): a small photo pays that.
        uploaded(client, warm_up)
        [warm_up_id] = file_ids(client, [warm_up.name])
        wait_for_thumbnail(client, warm_up_id)
        results.first_task_seconds = task_seconds(bench.root / "db.sqlite3", warm_up_id)
        # The same number of bytes that are no image: no sniffing by Pillow, no task.
        results.plain_upload_seconds = uploaded(client, same_size)
        results.upload_seconds = uploaded(client, path)
        [file_id] = file_ids(client, [path.name])
        results.visible_after = wait_for_thumbnail(client, file_id)
        results.worker_peak_kib = memory_kib(worker, "VmHWM")
        results.task_seconds = task_seconds(bench.root / "db.sqlite3", file_id)
    print(
        f"  50 MP JPEG: render {min(results.render_seconds):.2f} s in process, "
        f"task {results.task_seconds:.2f} s in the worker, "
        f"peak RSS {results.worker_peak_kib / 1024:.0f} MiB",
        flush=True,
    )


def grid(bench: Bench, results: ThumbnailResults) -> None:
    """(t2): 100 thumbnails on one grid page, Portal against nginx static."""
    from bench.run import uploaded  # bench.run imports this module

    names = [f"grid-{index:03}.jpg" for index in range(GRID_FILES)]
    for seed, name in enumerate(names):
        write_photo(bench.data_dir / name, GRID_PHOTO_SIZE, seed)
    # The page's stylesheet lays the grid out (and so decides which lazy images load).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=REPO_DIR,
        env=bench.env(),
        check=True,
    )
    signing = {
        "PORTAL_SIGNED_URL_SECRET": secrets.token_urlsafe(32),
        "PORTAL_FILES_PER_PAGE": str(GRID_FILES),
    }
    with bench.stack("grid", "nginx", env=signing, worker=True) as stack:
        client = bench.login(stack)
        for name in names:
            uploaded(client, bench.data_dir / name)
        for file_id in file_ids(client, names):
            wait_for_thumbnail(client, file_id)
        static = static_nginx(bench.root / "grid-static", bench.media_root)
        with cpu_affinity(bench.server_cpus):
            static.start()
        try:
            measure_grid(stack, static, client, results)
        finally:
            static.stop()
    print(
        f"  grid of {GRID_FILES}: Portal {statistics.median(results.grid_portal_ms):.0f} ms, "
        f"nginx static {statistics.median(results.grid_static_ms):.0f} ms "
        f"({results.grid_ratio:.2f}x)",
        flush=True,
    )


class PageProxy:
    """Serves Portal's grid page to Chromium, rendered afresh by Django for each request.

    `/portal` points its thumbnails at Portal's nginx (the signed URLs, as
    rendered), `/static` at the plain nginx serving the same files: the page
    and its way to the browser are the same in both, only the images differ.
    A `<base>` sends the stylesheet and scripts to Portal's nginx in both.
    """

    def __init__(self, page_url: str, stack: Stack, static: Stack, client: PortalClient) -> None:
        session = client.session
        # The signed thumbnail URL as rendered, or the same file from the plain nginx.
        sources: dict[str, Callable[[re.Match[str]], str]] = {
            "/portal": lambda match: stack.url + match.group(1),
            "/static": lambda match: f"{static.url}/static-ref/{match.group(2)}",
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                source = sources.get(self.path)
                if source is None:
                    self.send_error(404)
                    return
                html = session.get(page_url, timeout=60).text
                html = _SIGNED_THUMB.sub(lambda match: f'src="{source(match)}"', html)
                html = html.replace("<head>", f'<head><base href="{stack.url}/">', 1)
                body = html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PageProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def measure_grid(
    stack: Stack, static: Stack, client: PortalClient, results: ThumbnailResults
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    page_url = f"{stack.url}/files/?view=grid&sort=name&q=grid-"
    with PageProxy(page_url, stack, static, client) as proxy, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for run in range(GRID_RUNS * 2):
                portal = run % 2 == 0
                # Tall enough for every tile: the grid's images are loading="lazy".
                context = browser.new_context(viewport={"width": 1280, "height": 20000})
                page = context.new_page()
                page.goto(f"{proxy.url}/{'portal' if portal else 'static'}", wait_until="load")
                loaded = page.evaluate(_ALL_IMAGES_LOADED)
                context.close()
                if loaded["loaded"] != GRID_FILES:
                    example = requests.get(loaded["example"], timeout=30)
                    raise RuntimeError(
                        f"grid run {run}: {loaded}; {loaded['example']}: HTTP "
                        f"{example.status_code} {example.headers.get('Content-Type')}"
                    )
                if portal:
                    results.grid_portal_ms.append(loaded["lastByte"])
                    results.grid_portal_page_ms.append(loaded["page"])
                else:
                    results.grid_static_ms.append(loaded["lastByte"])
                    results.grid_static_page_ms.append(loaded["page"])
        finally:
            browser.close()


def run(bench: Bench) -> ThumbnailResults:
    results = ThumbnailResults()
    print("(t1) 50-megapixel JPEG -> thumbnail", flush=True)
    photo(bench, results)
    print("(t2) grid page of 100 thumbnails in Chromium", flush=True)
    grid(bench, results)
    return results


def render_report(results: ThumbnailResults) -> str:
    renders = results.render_seconds
    grid_ok = results.grid_ratio <= GRID_TARGET
    return "\n".join(
        [
            f"Thumbnail of a 50-megapixel JPEG ({PHOTO_SIZE[0]} x {PHOTO_SIZE[1]}, "
            f"{results.photo_bytes / 1e6:.1f} MB, EXIF orientation 6):",
            f"  in process: best {min(renders):.2f} s, median {statistics.median(renders):.2f} s "
            f"of {len(renders)}",
            f"  in the worker (task start to finish, read, render, store): "
            f"{results.task_seconds:.2f} s; visible {results.visible_after:.2f} s after the "
            f"upload's answer (the worker polls every second); the worker's first task "
            f"(an 800 x 600 photo, one-time imports included): {results.first_task_seconds:.2f} s",
            f"  upload through nginx: {results.upload_seconds:.2f} s (as many random bytes: "
            f"{results.plain_upload_seconds:.2f} s); worker peak RSS (VmHWM) "
            f"{results.worker_peak_kib / 1024:.0f} MiB (idle: {results.worker_idle_kib / 1024:.0f}"
            " MiB)",
            f"Grid page of {GRID_FILES} thumbnails in Chromium, last image byte after navigation "
            f"start, median of {GRID_RUNS} cold runs each:",
            f"  Portal (signed URLs): {statistics.median(results.grid_portal_ms):.0f} ms "
            f"(runs: {', '.join(f'{ms:.0f}' for ms in results.grid_portal_ms)})",
            f"  nginx static:         {statistics.median(results.grid_static_ms):.0f} ms "
            f"(runs: {', '.join(f'{ms:.0f}' for ms in results.grid_static_ms)})",
            "  the page's HTML (rendered by Django in both): "
            f"{statistics.median(results.grid_portal_page_ms):.0f} ms in Portal's runs, "
            f"{statistics.median(results.grid_static_page_ms):.0f} ms in the static runs",
            "Targets",
            f"  [{'met' if results.task_seconds < RENDER_TARGET else 'MISSED'}] 50 MP JPEG "
            f"thumbnail < {RENDER_TARGET:g} s in the worker: {results.task_seconds:.2f} s",
            f"  [{'met' if grid_ok else 'MISSED'}] grid of {GRID_FILES} <= {GRID_TARGET:g}x "
            f"nginx static: {results.grid_ratio:.2f}x",
        ]
    )


if __name__ == "__main__":
    # bench.thumbnails <path>: the in-process timings, one per line (render_in_process).
    _time_renders(Path(sys.argv[1]))
