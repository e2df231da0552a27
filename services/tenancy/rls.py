"""Row-level security for tenant-owned tables, given to each through its migration.

Every tenant-owned table gets the same policy: a row is visible and writable only when its
`tenant_id` equals the transaction-local setting `app.tenant_id`. With no tenant set the setting
is empty and nothing matches, so a forgotten activation fails closed. `FORCE` makes the policy apply
to the table owner too; only superusers and BYPASSRLS roles escape it, and the app role is neither.
"""

from __future__ import annotations

from django.db import migrations

TENANT_SETTING = "app.tenant_id"
POLICY = "tenant_isolation"
_MATCH = f"tenant_id = current_setting('{TENANT_SETTING}', true)"


def enable_tenant_isolation(table: str) -> migrations.RunSQL:
    """Migration operation that turns on and forces the tenant policy for `table`."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"not a plain table name: {table!r}")
    return migrations.RunSQL(
        sql=[
            f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
            f'CREATE POLICY {POLICY} ON "{table}" USING ({_MATCH}) WITH CHECK ({_MATCH})',
        ],
        reverse_sql=[
            f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
            f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
        ],
    )


_SHARED_OR_MATCH = f"tenant_id IS NULL OR {_MATCH}"
_WRITABLE_HERE = (
    f"tenant_id IS NOT DISTINCT FROM nullif(current_setting('{TENANT_SETTING}', true), '')")


def enable_directory_isolation(table: str) -> migrations.RunSQL:
    """Row-level security for a directory table, whose rows may be shared (`tenant_id` NULL).

    A tenant sees its own rows and the shared ones, and writes only its own; outside any
    tenant's context (the regional office) only shared rows are visible and writable.
    """
    if not table.replace("_", "").isalnum():
        raise ValueError(f"not a plain table name: {table!r}")
    return migrations.RunSQL(
        sql=[
            f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
            f'CREATE POLICY {POLICY} ON "{table}" USING ({_SHARED_OR_MATCH}) '
            f"WITH CHECK ({_WRITABLE_HERE})",
        ],
        reverse_sql=[
            f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
            f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
        ],
    )
