"""Intake for every door: the one way a file comes in.

Owns: the streaming upload handler (size, sha256 and the first bytes on the
way in: handler), content sniffing (content), the quota as pages show it
(quota), the upload form and the browser's upload view (forms, views), and
the intake itself (intake): name rules, size, sniffing, the quota under the
owner lock, storing under a random key, numbering on a name clash, typed
errors with codes.

Must not: know which door called it (form, uploader, drop link, WebDAV, API,
tus); doors only translate its errors for their audience. Kept light: the
gunicorn master imports handler without Django's apps loaded.
"""
