"""`make bench`'s S3 rows; `python -m bench.run --only s3` runs only these.

A SeaweedFS from deploy.seaweedfs, as in the tests. The 256 MiB download
through nginx (X-Accel-Redirect to /_s3/, which proxies a presigned URL) is
compared with the same object fetched straight from the gateway with a
presigned URL; the 1 GiB upload into S3 (with the gunicorn worker's peak RSS)
with the same upload to local storage, in the same run.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.loadgen import WrkResult
from deploy.seaweedfs import SeaweedFS

# Presigned URLs for wrk's direct run must outlast it.
DIRECT_URL_TTL = 600
# Room for the 256 MiB object and a 1 GiB upload, in weed's 128 MB volumes.
STORE_VOLUMES = 40
UPLOAD_RSS_LIMIT = 150 * 1000**2  # bytes: "under 150 MB"
DOWNLOAD_TARGET = 0.8  # through nginx vs straight from the gateway


@dataclass
class S3Results:
    via_nginx: WrkResult
    direct: WrkResult
    upload_seconds: float
    upload_peak_kib: int
    upload_baseline_kib: int
    local_upload_seconds: float


def direct_url(store: SeaweedFS, key: str) -> str:
    """A presigned GET straight to the gateway, as PORTAL_S3_REDIRECT hands out."""
    return store.client().generate_presigned_url(
        "get_object", Params={"Bucket": store.bucket, "Key": key}, ExpiresIn=DIRECT_URL_TTL
    )


def render(results: S3Results, upload_size: int, connections: int) -> list[str]:
    via, direct = results.via_nginx, results.direct
    ratio = via.mb_per_s / direct.mb_per_s
    peak = results.upload_peak_kib * 1024
    upload_ratio = results.upload_seconds / results.local_upload_seconds
    gib = upload_size // 1024**3
    return [
        f"S3 (SeaweedFS on loopback): 256 MiB file over {connections} connections",
        f"{'':50}{'req/s':>8}{'MB/s':>8}{'p50 ms':>9}",
        f"{'(s3a) presigned GET straight from the gateway':50}{direct.rps:>8,.1f}"
        f"{direct.mb_per_s:>8,.0f}{direct.p50_us / 1000:>9,.0f}",
        f"{'(s3b) Portal, nginx X-Accel-Redirect -> /_s3/':50}{via.rps:>8,.1f}"
        f"{via.mb_per_s:>8,.0f}{via.p50_us / 1000:>9,.0f}",
        f"Upload of {gib} GiB through nginx -> gunicorn -> S3: {results.upload_seconds:.1f} s "
        f"(local storage: {results.local_upload_seconds:.1f} s, {upload_ratio:.2f}x); "
        f"gunicorn worker peak RSS (VmHWM) {results.upload_peak_kib / 1024:.0f} MiB "
        f"(that worker's peak before: {results.upload_baseline_kib / 1024:.0f} MiB)",
        "",
        "S3 targets",
        f"  [{'met' if ratio >= DOWNLOAD_TARGET else 'MISSED'}] 256 MiB via nginx from S3 "
        f">= {DOWNLOAD_TARGET}x presigned GET from the gateway: {ratio:.2f}x",
        f"  [{'met' if peak < UPLOAD_RSS_LIMIT else 'MISSED'}] {gib} GiB upload to S3, "
        f"worker peak RSS < 150 MB: {peak / 1e6:.0f} MB",
    ]
