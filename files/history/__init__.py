"""Nothing lost by one click: the trash (trash.py) and earlier versions of files (versions.py).

Owns moving files and folders to their owner's trash and back, purging them
(one, all, the expired, or the oldest to make room for an upload), and
keeping, restoring and trimming a file's earlier bytes. Must not decide who
may do it (files.access) nor write an intake of its own (files.uploads calls
in here when an upload replaces a file or needs room).
"""
