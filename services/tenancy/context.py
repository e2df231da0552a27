"""Which tenant the current database transaction acts for.

The setting is transaction-local (`set_config(..., true)`): it ends with the transaction, so a
pooled connection never carries one request's tenant into the next. Requests run in one
transaction each (ATOMIC_REQUESTS); background work uses `tenant_transaction`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from services.tenancy.models import TENANT_CODES
from services.tenancy.rls import TENANT_SETTING


class TenantContextError(RuntimeError):
    """The tenant was set outside a transaction, or is not a known tenant."""


def activate_tenant(tenant_id: str | None, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Make row-level security show `tenant_id`'s rows (None: no tenant's) until the commit."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise TenantContextError("activate_tenant needs an open transaction (transaction.atomic)")
    if tenant_id is not None and tenant_id not in TENANT_CODES:
        raise TenantContextError(f"unknown tenant {tenant_id!r}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [TENANT_SETTING, tenant_id or ""])


def current_tenant(*, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """The tenant the current transaction acts for, if any."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [TENANT_SETTING])
        row = cursor.fetchone()
    value = row[0] if row else None
    return str(value) if value else None


@contextmanager
def tenant_transaction(tenant_id: str | None, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A transaction (or savepoint) acting for `tenant_id`."""
    with transaction.atomic(using=using):
        activate_tenant(tenant_id, using=using)
        yield
