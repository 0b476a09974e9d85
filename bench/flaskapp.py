"""The naive peer: any file under the media root to anyone, no permission check at all.

Its upload is the seed's too: `request.files["file"].save(path)`, no check,
no name rules, no quota; stored under a random name so that the bench's
repeated uploads never collide.
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, Response, request, send_from_directory

app = Flask(__name__)


@app.get("/raw/<path:key>")
def download(key: str) -> Response:
    return send_from_directory(os.environ["PORTAL_MEDIA_ROOT"], key, as_attachment=True)


@app.post("/upload/")
def upload() -> tuple[str, int]:
    directory = os.path.join(os.environ["PORTAL_MEDIA_ROOT"], "seed")
    os.makedirs(directory, exist_ok=True)
    request.files["file"].save(os.path.join(directory, secrets.token_hex(16)))
    return "stored\n", 201
