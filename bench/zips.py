"""Folder ZIPs (issue 16): `python -m bench.run --only zips`.

A folder of 1 GiB (1,000 files of 64 KiB and one large file, incompressible)
is downloaded as one ZIP through Portal (gunicorn behind nginx: the bytes pass
through Python) and, as the reference, the very same archive is sent by nginx
from disk (`bench/nginx-static.conf`). Then the list page, idle and while 4
ZIPs of that folder are downloading, and the peak RSS of the workers of the
ZIP pool (the gunicorn at nice 19 that sends ZIPs: deploy/stack.py).
Same pinning as the download rows: servers on one CPU, wrk on the other.

The busy list page is measured twice. The 4 downloads' wrk drains well over
1 GB/s on the load generator's CPU, beside the list page's own wrk: at equal
priority the probe's latency counts its own client waiting for that CPU,
which real downloaders, on other machines, never cost the site. So the
target row runs the downloading wrk at nice 19 (the probe's client gets its
CPU when it needs it; the downloads still take the rest); the row at equal
priority is printed beside it, as the worst case of this one-machine bench.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench.loadgen import WrkResult
from bench.servers import cpu_affinity, memory_kib, static_nginx
from deploy.stack import REPO_DIR

if TYPE_CHECKING:
    from bench.run import Bench

MiB, GiB = 1024**2, 1024**3
SMALL_FILES = 1000
SMALL_SIZE = 64 * 1024
LARGE_SIZE = GiB - SMALL_FILES * SMALL_SIZE
CONNECTIONS = (1, 4)
BUSY_ZIPS = 4
TARGET_RATIO = 0.5
BUSY_TARGET = 3.0
# The downloading wrk's nice value in the target row, then at the probe's own.
DOWNLOADERS_NICE = (19, 0)

# Written straight into the media root with their rows (CRC-32 as the upload
# handler computes it): the bench measures the ZIP, not 1,001 uploads.
_BUILD = """
import random, zlib
from pathlib import Path
from django.conf import settings
from accounts.models import User
from files import contract
from files.folders import tree
from files.models import UploadedFile

owner = User.objects.get(username={username!r})
folder = tree.create_folder(owner, None, "Bench ZIP")
small = tree.create_folder(owner, folder, "small files")
rng = random.Random(16)
block = rng.randbytes(1024 * 1024)

def store(parent, name, size, content):
    row = UploadedFile(owner=owner, folder=parent, name=name, size=size,
                       content_type="application/octet-stream", sha256="0" * 64)
    key = contract.storage_key(owner.pk, row.pk)
    path = Path(settings.MEDIA_ROOT) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    crc = 0
    with path.open("wb") as out:
        for chunk in content:
            out.write(chunk)
            crc = zlib.crc32(chunk, crc)
    row.crc32 = crc
    row.file.name = key
    row.save()

for number in range({small_files}):
    store(small, f"file {{number:04d}}.bin", {small_size}, [rng.randbytes({small_size})])

def large():
    for offset in range(0, {large_size}, len(block)):
        yield (offset.to_bytes(8, "big") + block[8:])[: {large_size} - offset]

store(folder, "large.bin", {large_size}, large())
print(folder.pk)
"""


@dataclass
class ZipResults:
    archive_bytes: int = 0
    static: dict[int, WrkResult] = field(default_factory=dict)
    portal: dict[int, WrkResult] = field(default_factory=dict)
    idle_list: WrkResult | None = None
    # By the downloading wrk's nice value (DOWNLOADERS_NICE).
    busy_list: dict[int, WrkResult] = field(default_factory=dict)
    busy_zips: dict[int, WrkResult] = field(default_factory=dict)
    worker_idle_kib: int = 0
    worker_peak_kib: int = 0


def build(bench: Bench) -> str:
    script = _BUILD.format(
        username="bench",
        small_files=SMALL_FILES,
        small_size=SMALL_SIZE,
        large_size=LARGE_SIZE,
    )
    output = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=REPO_DIR,
        env={**bench.env(), "DJANGO_SETTINGS_MODULE": "portal.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.split()[-1]


def run(bench: Bench) -> ZipResults:
    from bench.run import check_result

    results = ZipResults()
    bench.prepare_database()
    folder = build(bench)
    reference = bench.media_root / "ref" / "bench.zip"
    reference.parent.mkdir(parents=True, exist_ok=True)
    seconds = bench.seconds
    try:
        with bench.stack("zip", "nginx") as stack:
            client = bench.login(stack)
            url = f"{stack.url}/files/folders/{folder}/download/"
            client.session.get(stack.url + "/files/", timeout=30)  # warm every import
            workers = stack.worker_pids("gunicorn-zip")  # the ZIP pool sends them
            results.worker_idle_kib = max(memory_kib(pid, "VmHWM") for pid in workers)
            # The full archive, kept as the reference nginx will send.
            with client.session.get(url, stream=True, timeout=600) as response:
                response.raise_for_status()
                size = int(response.headers["Content-Length"])
                with reference.open("wb") as out:
                    for chunk in response.iter_content(4 * MiB):
                        out.write(chunk)
            if reference.stat().st_size != size:
                raise RuntimeError(f"ZIP: {reference.stat().st_size} bytes, {size} announced")
            results.archive_bytes = size
            print(f"  archive: {size:,} bytes", flush=True)

            print("(z-a) nginx static, the same archive", flush=True)
            static = static_nginx(bench.root / "static-nginx-zip", bench.media_root)
            with cpu_affinity(bench.server_cpus):
                static.start()
            try:
                for connections in CONNECTIONS:
                    ref_url = static.url + "/static-ref/ref/bench.zip"
                    results.static[connections] = bench.wrk.run(
                        ref_url, connections=connections, seconds=seconds
                    )
                    check_result("zip static", results.static[connections], 0)
                    print(
                        f"  {connections} conn: {results.static[connections].mb_per_s:,.0f} MB/s",
                        flush=True,
                    )
            finally:
                static.stop()

            print("(z-b) Portal, folder ZIP through Python", flush=True)
            for connections in CONNECTIONS:
                results.portal[connections] = bench.wrk.run(
                    url, connections=connections, seconds=seconds
                )
                check_result("zip portal", results.portal[connections], 0)
                print(
                    f"  {connections} conn: {results.portal[connections].mb_per_s:,.0f} MB/s",
                    flush=True,
                )
            time.sleep(2)

            print(f"(z-c) list page, idle and with {BUSY_ZIPS} ZIPs downloading", flush=True)
            list_url = stack.url + "/files/"
            bench.wrk.run(list_url, connections=1, seconds=2)  # warm-up
            results.idle_list = bench.wrk.run(list_url, connections=1, seconds=seconds)
            for nice in DOWNLOADERS_NICE:
                zips = bench.wrk.start(url, connections=BUSY_ZIPS, seconds=seconds + 6, nice=nice)
                time.sleep(3)
                results.busy_list[nice] = bench.wrk.run(list_url, connections=1, seconds=seconds)
                results.busy_zips[nice] = bench.wrk.finish(zips)
                check_result("zip busy", results.busy_zips[nice], 0)
                print(
                    f"  list p99 idle {results.idle_list.p99_us / 1000:.1f} ms, busy "
                    f"{results.busy_list[nice].p99_us / 1000:.1f} ms (downloaders at nice {nice})",
                    flush=True,
                )
                time.sleep(2)
            results.worker_peak_kib = max(memory_kib(pid, "VmHWM") for pid in workers)
    finally:
        reference.unlink(missing_ok=True)
    return results


def render(results: ZipResults) -> str:
    def mb(result: WrkResult | None) -> str:
        return f"{result.mb_per_s:,.0f}" if result else "-"

    lines = [
        "## Folder ZIPs (1 GiB: 1,000 × 64 KiB + one large file; MB = 10^6 bytes)",
        "",
        f"Archive: {results.archive_bytes:,} bytes.",
        "",
        "| connections | nginx static MB/s | Portal ZIP MB/s | ratio |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for connections in CONNECTIONS:
        static, portal = results.static.get(connections), results.portal.get(connections)
        ratio = portal.mb_per_s / static.mb_per_s if static and portal else 0.0
        lines.append(f"| {connections} | {mb(static)} | {mb(portal)} | {ratio:.2f} |")
    idle = results.idle_list
    if idle:
        lines += [
            "",
            f"List page `/files/`, one connection: idle p50 {idle.p50_us / 1000:.1f} ms, "
            f"p99 {idle.p99_us / 1000:.1f} ms; with {BUSY_ZIPS} ZIPs downloading:",
            "",
            "| downloading wrk | ZIPs MB/s | list p50 | list p99 | busy/idle p99 |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for nice, busy in results.busy_list.items():
            ratio = busy.p99_us / idle.p99_us
            target = f" (target ≤ {BUSY_TARGET:.0f})" if nice == DOWNLOADERS_NICE[0] else ""
            lines.append(
                f"| nice {nice} | {mb(results.busy_zips.get(nice))} "
                f"| {busy.p50_us / 1000:.1f} ms | {busy.p99_us / 1000:.1f} ms "
                f"| {ratio:.1f}{target} |"
            )
    lines += [
        "",
        f"ZIP pool workers' peak RSS (VmHWM): {results.worker_peak_kib / 1024:.0f} MiB "
        f"({results.worker_idle_kib / 1024:.0f} MiB before the first ZIP).",
    ]
    return "\n".join(lines)
