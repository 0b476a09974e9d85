"""The REST API at /api/v1/: files, folders, shares and links for scripts, with a token.

A door like the browser's: it looks everything up through files.access, stores
through files.uploads.intake, moves and names through files.folders, shares
through files.sharing.grants and sends bytes through files.delivery; it only
turns their answers and typed errors into JSON. It must not decide access or
write an intake of its own.

Only `Authorization: Bearer ptk_…` (accounts.tokens) signs a request in; the
browser's session cookie is ignored, so no request here can be forged from
another site and there is no CSRF token to send.
"""
