"""`make bench`: how fast Portal sends and receives files, next to nginx alone and a naive peer.

Not part of `make test`: it starts real servers, moves gigabytes and takes minutes.
See docs/performance.md for what it measures and the numbers of the last run.
"""
