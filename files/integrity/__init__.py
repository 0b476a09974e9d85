"""Integrity: whether storage and the database agree, and mending them.

Owns: `portal_fsck`'s check and repair of objects without rows, rows without
objects and changed bytes (fsck), and the quota books: recorded sizes, stored
totals and what storage holds, recounted (recount).

Must not: run on a request path; it is for the management commands.
"""
