"""The 1 GiB upload against the seed's (issue 19): `python -m bench.run --only uploads`.

Both behind the same `deploy/nginx.conf` (its client_max_body_size and request
buffering: nginx spools the body to disk, then hands it to the app server at
disk speed), both on gunicorn with `deploy/gunicorn.conf.py` and the same
environment, each started fresh, both sent the same multipart body by the same
streaming client (`tests.tooling.MultipartBody` over requests, with a
Content-Length, as a browser sends it):

- Portal's upload form (`files/uploads/handler.py`: digested on the way to a
  temporary file, which is then renamed into the media root);
- the seed's `request.files["file"].save(path)` (`bench/flaskapp.py`, Werkzeug
  spools the part to a temporary file, save() copies it).

Wall time on the client; the peak RSS (VmHWM) of the worker that took each upload.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from tests.tooling import MultipartBody

if TYPE_CHECKING:
    from bench.run import Bench

SEED_APP = "bench.flaskapp:app"
TIME_TARGET = 1.2  # Portal's wall time at most this times the seed's
RSS_LIMIT = 100 * 1000**2  # bytes: "under 100 MB"
PORTAL = "Portal (files/uploads/handler.py)"
SEED = "seed: Flask request.files['file'].save()"


@dataclass(frozen=True)
class Upload:
    seconds: float
    peak_kib: int  # the worker's VmHWM after the upload
    baseline_kib: int  # ... and before it


@dataclass
class UploadResults:
    size: int  # bytes uploaded
    # PORTAL, SEED -> one upload each, in the order measured.
    runs: dict[str, Upload] = field(default_factory=dict)


def seed_uploaded(url: str, path: Path) -> float:
    """POST `path` to the seed's /upload/ as the one file field; the seconds it took."""
    body = MultipartBody({}, [(path.name, path)])
    started = time.perf_counter()
    response = requests.post(
        f"{url}/upload/",
        data=body,
        headers={"Content-Type": body.content_type},
        allow_redirects=False,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"seed upload of {path.name} failed: HTTP {response.status_code}")
    return elapsed


def run(bench: Bench) -> UploadResults:
    from bench.run import UPLOAD_SIZE, write_random  # run.py imports this module

    bench.prepare_database()
    results = UploadResults(UPLOAD_SIZE)
    print("(uploads) 1 GiB through nginx -> gunicorn: Portal, then the seed", flush=True)
    write_random(bench.upload_file, UPLOAD_SIZE, 2)
    try:
        for label, seed in ((PORTAL, False), (SEED, True)):
            upload = Upload(*bench.measure_upload("upload-seed" if seed else "upload", seed=seed))
            results.runs[label] = upload
            print(f"  {label}: {upload.seconds:.1f} s", flush=True)
    finally:
        bench.upload_file.unlink()
    return results


def render(results: UploadResults) -> list[str]:
    portal, seed = results.runs[PORTAL], results.runs[SEED]
    lines = [
        f"Upload of {results.size / 1024**3:g} GiB through nginx (request buffering on) "
        "-> gunicorn, the same streaming client",
        f"{'':44}{'seconds':>9}{'MB/s':>8}{'worker peak RSS MiB':>21}{'before':>8}",
    ]
    for label, upload in results.runs.items():
        lines.append(
            f"{label:44}{upload.seconds:>9.1f}{results.size / upload.seconds / 1e6:>8,.0f}"
            f"{upload.peak_kib / 1024:>21,.0f}{upload.baseline_kib / 1024:>8,.0f}"
        )
    ratio = portal.seconds / seed.seconds
    peak = portal.peak_kib * 1024
    lines += [
        "",
        f"  [{'met' if ratio <= TIME_TARGET else 'MISSED'}] 1 GiB upload within "
        f"{TIME_TARGET}x the seed's wall time: {ratio:.2f}x",
        f"  [{'met' if peak < RSS_LIMIT else 'MISSED'}] 1 GiB upload, Portal's worker peak "
        f"RSS < {RSS_LIMIT / 1e6:.0f} MB: {peak / 1e6:.0f} MB",
    ]
    return lines
