"""`python -m bench.tus`: 1 GiB through resumable uploads against the same file in one request.

tuspy sends it in 64 MiB chunks (what static/uploader.js sends) through nginx
into a fresh gunicorn; the one-request upload is the form's POST. Each row
gives the wall time and the peak RSS (VmHWM) of the worker that took the most,
on local storage and, with `--s3`, on a SeaweedFS of its own. The 1 GiB file
and the stores live in a temporary directory, removed at the end.
See docs/performance.md ("Resumable uploads").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from tusclient.client import TusClient

from bench import s3
from bench.run import UPLOAD_SIZE, USERNAME, Bench, uploaded, write_random
from bench.servers import memory_kib
from deploy.seaweedfs import SeaweedFS
from deploy.stack import Stack
from tests.tooling import PortalClient

CHUNK = 64 * 1024 * 1024


def through_tus(client: PortalClient, stack: Stack, path: Path) -> float:
    headers = {"Cookie": client.cookie_header(), "X-CSRFToken": client.csrf_token}
    uploader = TusClient(f"{stack.url}/files/tus/", headers=headers).uploader(
        str(path), chunk_size=CHUNK, metadata={"filename": f"tus-{path.name}"}
    )
    started = time.perf_counter()
    uploader.upload()
    return time.perf_counter() - started


def one_request(client: PortalClient, stack: Stack, path: Path) -> float:
    return uploaded(client, path)


def measure(
    bench: Bench,
    name: str,
    how: Callable[[PortalClient, Stack, Path], float],
    env: Mapping[str, str] | None = None,
) -> tuple[float, int, int]:
    """Seconds, and the peak RSS (KiB) of the worker that grew most, then and before."""
    with bench.stack(name, "nginx", env=env) as stack:
        client = PortalClient(stack.url, timeout=600).login(USERNAME, bench.password)
        client.session.get(stack.url + "/files/upload/", timeout=30)  # warm every import
        workers = stack.worker_pids()
        before = {pid: memory_kib(pid, "VmHWM") for pid in workers}
        seconds = how(client, stack, bench.upload_file)
        after = {pid: memory_kib(pid, "VmHWM") for pid in workers}
    pid = max(workers, key=lambda pid: after[pid] - before[pid])
    return seconds, after[pid], before[pid]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tus", description=__doc__)
    parser.add_argument("--s3", action="store_true", help="also on a SeaweedFS of its own")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-tus-") as tmp:
        bench = Bench(Path(tmp), seconds=0)
        os.sched_setaffinity(0, bench.client_cpus)
        bench.prepare_database()
        write_random(bench.upload_file, UPLOAD_SIZE, 2)
        stores: list[tuple[str, Mapping[str, str] | None]] = [("local", None)]
        store = None
        if args.s3:
            store = SeaweedFS(Path(tmp) / "seaweedfs", max_volumes=s3.STORE_VOLUMES)
            store.start()
            stores.append(("s3", store.django_env()))
        try:
            for storage, env in stores:
                for label, how in (("one request", one_request), ("tus, 64 MiB", through_tus)):
                    seconds, peak, baseline = measure(bench, f"{storage}-{label[:3]}", how, env)
                    rows.append((storage, label, seconds, peak, baseline))
                    print(
                        f"  {storage} {label}: {seconds:.1f} s, peak {peak / 1024:.0f} MiB",
                        flush=True,
                    )
        finally:
            if store is not None:
                store.stop()
    print()
    print("| storage | 1 GiB upload | wall time | MB/s | worker peak RSS (before) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for storage, label, seconds, peak, baseline in rows:
        rate = UPLOAD_SIZE / seconds / 1e6
        print(
            f"| {storage} | {label} | {seconds:.1f} s | {rate:.0f} | "
            f"{peak / 1024:.0f} MiB ({baseline / 1024:.0f}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
