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


def replacing_table_sql(database: str, table: str, columns: tuple[tuple[str, str], ...], *,
                        partition_by: str, order_by: str) -> str:
    """DDL of a fact table where the highest `version` of each `order_by` key wins.

    An `ingested_at` column is added after `columns`. Replacement happens within a partition, at
    merges: readers use FINAL.
    """
    listed = ",\n    ".join(f"{name} {kind}" for name, kind in columns)
    return f"""
CREATE TABLE IF NOT EXISTS {checked_identifier(database)}.{checked_identifier(table)}
(
    {listed},
    ingested_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY {partition_by}
ORDER BY {order_by}
"""


def insert_sql(database: str, table: str, columns: tuple[tuple[str, str], ...]) -> str:
    """INSERT for clickhouse-driver (`execute(sql, rows)`), columns in `columns` order."""
    names = ", ".join(name for name, _ in columns)
    target = f"{checked_identifier(database)}.{checked_identifier(table)}"
    return f"INSERT INTO {target} ({names}) VALUES"
