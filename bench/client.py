"""Portal over HTTP, as a browser uses it: log in, upload, find a file's download URL."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import requests

_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_DOWNLOAD_HREF = re.compile(r'href="(/files/[0-9a-f-]{36}/download/)"')
CHUNK = 1024 * 1024


class MultipartBody:
    """A multipart/form-data body that streams a file from disk.

    requests would build the whole body in memory for `files=`; a 1 GB upload
    must not cost the client 1 GB. __len__ makes requests send a Content-Length
    rather than chunked encoding, as a browser does.
    """

    def __init__(self, fields: dict[str, str], file_field: str, path: Path) -> None:
        self.boundary = f"bench-{secrets.token_hex(16)}"
        self.path = path
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in fields.items()
        )
        self.head = (
            head
            + (
                f"--{self.boundary}\r\n"
                f'Content-Disposition: form-data; name="{file_field}"; filename="{path.name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
        )
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self.head) + self.path.stat().st_size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
        yield self.tail


class PortalClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def _csrf_token(self, path: str) -> str:
        response = self.session.get(self.base_url + path, timeout=30)
        response.raise_for_status()
        match = _CSRF_FIELD.search(response.text)
        if match is None:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def login(self, username: str, password: str) -> str:
        """Log in with the form and return the Cookie header wrk should send."""
        token = self._csrf_token("/accounts/login/")
        response = self.session.post(
            self.base_url + "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302 or "sessionid" not in self.session.cookies:
            raise RuntimeError(f"login failed: HTTP {response.status_code}")
        return self.cookie_header()

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.session.cookies.items())

    def upload(self, path: Path) -> float:
        """POST `path` to /files/upload/ and return the seconds it took."""
        token = self._csrf_token("/files/upload/")
        body = MultipartBody({"csrfmiddlewaretoken": token}, "file", path)
        started = time.perf_counter()
        response = self.session.post(
            self.base_url + "/files/upload/",
            data=body,
            headers={"Content-Type": body.content_type},
            allow_redirects=False,
            timeout=600,
        )
        elapsed = time.perf_counter() - started
        # Success redirects to the list; a form error comes back as a 200 page.
        if response.status_code != 302:
            raise RuntimeError(f"upload of {path.name} failed: HTTP {response.status_code}")
        return elapsed

    def download_path(self, name: str) -> str:
        """The /files/<uuid>/download/ path of the file called `name`."""
        response = self.session.get(self.base_url + "/files/", params={"q": name}, timeout=30)
        response.raise_for_status()
        found = set(_DOWNLOAD_HREF.findall(response.text))
        if len(found) != 1:
            raise RuntimeError(f"expected one file named {name}, found {len(found)}")
        return found.pop()
