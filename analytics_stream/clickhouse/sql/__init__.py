"""ClickHouse DDL builders, one module per domain; migrations import them, never inline SQL.

Every statement must run on Debian's ClickHouse 18.16 and on current ClickHouse: no DateTime64,
LowCardinality, Map, JSON, Bool, SimpleAggregateFunction, two-argument ReplacingMergeTree,
Nullable in ORDER BY, CODEC, TTL, skip indexes or the Kafka engine. Tenant first in every
ORDER BY; partitions by a deterministic date of the event.
"""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def checked_identifier(name: str) -> str:
    """`name` if it is a plain identifier; DDL cannot bind names as parameters, so refuse others."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"{name!r} is not a plain ClickHouse identifier")
    return name
