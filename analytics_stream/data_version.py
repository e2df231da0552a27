"""A fingerprint of what ClickHouse holds, cheap to read, that changes whenever the data does.

Every insert into a MergeTree table makes a new part with a higher block number; a merge replaces
parts (fewer of them, another modification time) without changing what a query reads, and a
rebuilt table (`msc replay` renames a new one in) has parts of its own. So the active parts' highest
block number, count, rows and latest modification time, per fact table, change with every write
that can change a figure. Read from `system.parts` (metadata only, a millisecond or two).
"""

from __future__ import annotations

import hashlib

from clickhouse_driver import Client

from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACTS_TABLE
from analytics_stream.clickhouse.sql.sessions import GROUP_SESSION_FACTS_TABLE
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE

FACT_TABLES = (VISIT_FACTS_TABLE, GROUP_SESSION_FACTS_TABLE, REFERRAL_FACTS_TABLE)

_PARTS_SQL = """
SELECT table, max(max_block_number), count(), sum(rows), max(modification_time)
FROM system.parts
WHERE database = %(database)s AND table IN %(tables)s AND active
GROUP BY table
ORDER BY table
"""


def data_version(client: Client, database: str) -> str:
    """The fingerprint of `database`'s fact tables, as a short hex string."""
    rows = client.execute(_PARTS_SQL, {"database": database, "tables": FACT_TABLES},
                          settings={"max_execution_time": 5})
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:32]
