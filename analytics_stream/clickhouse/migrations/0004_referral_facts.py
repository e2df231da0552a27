"""Referral facts: the latest state of every sent referral, for the referral statistics."""

from __future__ import annotations

from analytics_stream.clickhouse.sql.referrals import referral_facts_table_sql


def operations(database: str) -> list[str]:
    return [referral_facts_table_sql(database)]
