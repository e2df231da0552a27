"""Row-level security on a tenant-owned table, checked with raw SQL as the application role."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from intake.models import Centre
from services.tenancy.context import TenantContextError, activate_tenant
from services.tenancy.models import Tenant, TenantOwnedModel
from services.tenancy.rls import POLICY
from tests.conftest import require_component

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def postgres() -> None:
    require_component("postgres")


def _add_centres(tenant: str, *names: str) -> None:
    activate_tenant(tenant)
    for name in names:
        Centre.objects.create(tenant=Tenant(code=tenant), name=name, municipality_code="X")


def _raw_centre_tenants() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tenant_id FROM intake_centre ORDER BY tenant_id")
        return [row[0] for row in cursor.fetchall()]


def test_application_role_neither_owns_nor_bypasses() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper, r.rolbypassrls, t.tableowner = current_user "
            "FROM pg_roles r, pg_tables t "
            "WHERE r.rolname = current_user AND t.tablename = 'intake_centre'"
        )
        assert cursor.fetchone() == (False, False, False)
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = 'intake_centre'"
        )
        assert cursor.fetchone() == (True, True)


def test_every_tenant_owned_table_forces_row_level_security() -> None:
    tables = sorted(
        model._meta.db_table for model in apps.get_models()
        if issubclass(model, TenantOwnedModel)
    )
    assert "intake_centre" in tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE c.relrowsecurity AND c.relforcerowsecurity AND p.polname = %s",
            [POLICY],
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert [t for t in tables if t not in protected] == []


def test_tenant_sees_only_its_rows_even_through_raw_sql() -> None:
    _add_centres("AL", "Tirana", "Durres")
    _add_centres("RS", "Beograd")
    activate_tenant("AL")
    assert _raw_centre_tenants() == ["AL", "AL"]
    activate_tenant("RS")
    assert _raw_centre_tenants() == ["RS"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM intake_centre WHERE tenant_id = 'AL'")
        assert cursor.fetchone() == (0,)


def test_no_tenant_set_sees_nothing() -> None:
    _add_centres("AL", "Shkoder")
    activate_tenant(None)
    assert _raw_centre_tenants() == []
    assert Centre.objects.count() == 0


def test_writing_a_row_of_another_tenant_is_refused() -> None:
    activate_tenant("AL")
    with pytest.raises(Exception, match="row-level security"):
        Centre.objects.create(tenant=Tenant(code="RS"), name="Nis", municipality_code="X")


def test_unknown_tenant_cannot_be_activated() -> None:
    with pytest.raises(TenantContextError):
        activate_tenant("ZZ")
