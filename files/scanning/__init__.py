"""Virus scanning: every new file is checked by ClamAV before anyone else gets it.

Owns: the clamd client (INSTREAM, a few lines of the protocol: clamd), the
verdict of one file and the status the intake gives a new one (scan), and
the background task with its retries (tasks).

Must not: decide who may be sent a file (files.access reads the status),
send bytes (files.delivery), or store files (files.uploads.intake).
"""
