"""Guess limits counted where every process sees them: the shared cache (portal.cache).

An attempt is counted *before* it is tried and given back when it turns out
right, so concurrent guesses cannot all pass a check that none of them has
counted yet: with an atomic increment (Redis INCR, portal.cache's locked
UPDATE) a limit of N lets exactly N wrong guesses through per window,
however many processes, threads or app servers the guesses reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    """At most `allowed` wrong attempts per `window` seconds for one key."""

    name: str
    allowed: int
    window: int

    def key(self, who: object) -> str:
        return f"limit:{self.name}:{who}"

    def take(self, who: object) -> bool:
        """Count one attempt for `who`; False when it goes past the limit (refuse it)."""
        key = self.key(who)
        # add() opens the window at the first attempt; incr() keeps its expiry.
        cache.add(key, 0, self.window)
        try:
            count = cache.incr(key)
        except ValueError:  # the window closed between the two
            cache.add(key, 1, self.window)
            count = 1
        return count <= self.allowed

    def give_back(self, who: object) -> None:
        """The attempt was right: it does not count against `who`."""
        try:
            cache.decr(self.key(who))
        except ValueError:  # the window has closed meanwhile: nothing to give back
            pass

    def used(self, who: object) -> int:
        return int(cache.get(self.key(who), 0))
