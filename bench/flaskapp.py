"""The naive peer: any file under the media root to anyone, no permission check at all."""

from __future__ import annotations

import os

from flask import Flask, Response, send_from_directory

app = Flask(__name__)


@app.get("/raw/<path:key>")
def download(key: str) -> Response:
    return send_from_directory(os.environ["PORTAL_MEDIA_ROOT"], key, as_attachment=True)
