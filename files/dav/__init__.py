"""WebDAV at /dav/: wsgidav speaks the protocol, this package maps it onto Portal.

    mount.py       /dav/ beside Django in portal/wsgi.py; imports the door on its
                   first request, so a worker that never serves one never loads wsgidav
    app.py         the WSGI door: token auth (Basic, a token as the password),
                   GET/HEAD of a file through files.delivery, the rest to wsgidav
    provider.py    the tree a user sees (their top level, "Shared with me"), each
                   resource looked up through files.access, every write through
                   files.uploads.intake and files.folders.tree
    propfind.py    PROPFIND Depth 1 of a folder with the multistatus written as text
                   (wsgidav's ElementTree answer, equal element by element, 2x cheaper)
    locks.py       class 2 locks in the database (Redis takes them when REDIS_URL is set)
    properties.py  dead properties in the database

Must not: decide access itself (files.access does), store bytes another way
than the intake, or hold a request body in memory.
"""
