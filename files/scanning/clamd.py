"""A clamd client for one command, INSTREAM: our own few lines of its protocol.

clamd(8): "zINSTREAM\\0", then chunks each prefixed with its length as a
4-byte big-endian integer, then a zero-length chunk; the answer, ended by
"\\0", is "stream: OK", "stream: <signature> FOUND", or "<reason> ERROR"
("INSTREAM size limit exceeded. ERROR" past StreamMaxLength). Why not a
library: this is all of it, and it streams from any file-like object (a
SeaweedFS object as well as a local file) without a temporary copy.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

CHUNK = 64 * 1024
TIMEOUT = 120  # seconds without a byte from clamd before we give up (a 100 MB scan takes ~1 s)


class ScannerUnavailable(Exception):
    """clamd did not answer, or answered what we cannot read: no verdict (stay pending)."""


@dataclass(frozen=True)
class Verdict:
    infected: bool = False
    signature: str = ""
    too_large: bool = False


def connect(address: str, timeout: float = TIMEOUT) -> socket.socket:
    """A connection to clamd at "host:port" or at a Unix socket's path."""
    try:
        if address.startswith("/"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        host, _, port = address.rpartition(":")
        return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    except (OSError, ValueError) as error:
        raise ScannerUnavailable(f"clamd at {address}: {error}") from error


def _answer(sock: socket.socket) -> str:
    reply = b""
    while not reply.endswith(b"\0"):
        data = sock.recv(4096)
        if not data:
            break
        reply += data
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def ping(address: str) -> bool:
    try:
        with connect(address, timeout=5) as sock:
            sock.sendall(b"zPING\0")
            return _answer(sock) == "PONG"
    except (OSError, ScannerUnavailable):
        return False


def scan(address: str, chunks: Iterable[bytes]) -> Verdict:
    """ClamAV's verdict on the bytes of `chunks`; ScannerUnavailable when there is none."""
    try:
        with connect(address) as sock:
            sock.sendall(b"zINSTREAM\0")
            try:
                for chunk in chunks:
                    for start in range(0, len(chunk), CHUNK):
                        piece = chunk[start : start + CHUNK]
                        sock.sendall(struct.pack(">I", len(piece)) + piece)
                sock.sendall(struct.pack(">I", 0))
            except BrokenPipeError:
                # clamd closes the stream once past StreamMaxLength, then answers.
                pass
            reply = _answer(sock)
    except OSError as error:
        raise ScannerUnavailable(f"clamd at {address}: {error}") from error
    return read_reply(reply)


def read_reply(reply: str) -> Verdict:
    if reply.endswith("size limit exceeded. ERROR"):
        return Verdict(too_large=True)
    if reply == "stream: OK":
        return Verdict()
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        return Verdict(infected=True, signature=reply[len("stream: ") : -len(" FOUND")])
    raise ScannerUnavailable(f"clamd answered {reply!r}")
