"""Searching names: the query's form, and how a page of hits is read.

Names are stored in NFC (files.filenames), so the query is too: an "é" typed
as e + combining accent (macOS, some keyboards) finds them.

On PostgreSQL the hits of a search can be found two ways: walk the page's own
order (the (owner, -created) index, testing each name on the way, stopping
after a page), or find every hit through the trigram index (migration 0003)
and sort them. The planner assumes hits are spread evenly and walks; when a
rare word's hits are all old it reads the whole account instead (bench.folders,
1,000 hits among 100,000 names: 80,000 rows read, 39 ms; found and sorted,
6.5 ms). With many hits the walk is the quick one (10,000 hits: 0.3 ms against
20 ms sorted). The page's count comes first anyway, so HitsPaginator picks.
SQLite has no trigram index: its walk tests names inside the index, cheaply.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import Expression, OrderBy
from django.db.models.functions import Lower

from files import names

# Up to this many hits, PostgreSQL finds them all and sorts them (about 11 ms at 5,000).
FEW_HITS = 5_000

# ?sort= value -> ORDER BY, for the folder page and the API alike; the
# tie-breakers keep pages stable.
SORT_ORDERS: dict[str, tuple[str | OrderBy, ...]] = {
    "name": (Lower("name").asc(), "created"),
    "-name": (Lower("name").desc(), "-created"),
    "size": ("size", "created"),
    "-size": ("-size", "-created"),
    "created": ("created",),
    "-created": ("-created",),
}
DEFAULT_SORT = "-created"
# The same order, hidden from the planner (adding zero): it cannot walk an index for it.
_UNINDEXED: dict[str, Expression] = {
    "created": F("created") + timedelta(0),
    "size": F("size") + 0,
}


def normalise(query: str) -> str:
    """The query as names are stored: NFC, without the characters no name holds.

    A NUL would also make PostgreSQL refuse the statement (a 500).
    """
    return unicodedata.normalize("NFC", names.without_unsafe_characters(query).strip())


def sorted_hits_order(orders: Sequence[Any]) -> tuple[Any, ...]:
    """`orders` with its indexed columns hidden, so hits are found first, then sorted."""
    hidden: list[Any] = []
    for order in orders:
        if isinstance(order, str) and order.lstrip("-") in _UNINDEXED:
            expression = _UNINDEXED[order.lstrip("-")]
            hidden.append(expression.desc() if order.startswith("-") else expression.asc())
        else:
            hidden.append(order)
    return tuple(hidden)


class HitsPaginator(Paginator):
    """Pages of search hits: on PostgreSQL, few hits are found and sorted, many walked."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)  # counts the hits
        if connection.vendor == "postgresql" and self.count <= FEW_HITS:
            hits: QuerySet[Any] = self.object_list  # type: ignore[assignment]
            self.object_list = hits.order_by(*sorted_hits_order(hits.query.order_by))
        return super().page(number)
