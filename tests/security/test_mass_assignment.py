"""Property-level authorization: what a caller may set, and what a caller may see.

Writes, generated from the OpenAPI schema: for every POST/PATCH/PUT with a JSON body, a valid
body plus one field the caller may not set (the tenant, ids, versions, states, audit times, the
operation's own read-only response fields...) is refused with 400 naming that field, and the
database is exactly as before; the same body without it is accepted, so the field was the reason.
Objects nested in a body (a client's consent, each stay) are as strict. A writable operation
missing from the table of valid calls (`surface.WRITES`) fails the first test.

Reads: a partner sees a referral only as name, contact, need and language; the regional monitor
sees no personal data anywhere; nobody ever reads a webhook secret, a tenant id or a search key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from intake.models import Client
from referrals.models import Notification, Organization, Service
from services.tenancy.context import tenant_transaction
from tests.integration.keycloak_helpers import as_user
from tests.security.surface import (
    CALLERS,
    CLIENT,
    HOSTILE,
    PERSONAL_VALUES,
    WRITE_METHODS,
    WRITES,
    World,
    acceptance,
    call,
    current_state,
    openapi_schema,
    operations,
    properties,
    resolve,
    rolled_back,
    snapshot,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# Fields no caller sets on any operation unless it declares them writable: the tenant, record
# identity and versions, workflow states and their times, authorship and audit fields.
NEVER_WRITABLE = {
    "tenant", "tenant_id", "id", "pk", "version", "state", "created_at", "created_by",
    "created_by_subject", "created_by_username", "updated_at", "updated_by", "erased_at",
    "organization_id", "answered_at", "sent_at", "closed_at", "due_at", "read_at", "secret",
    "recipient_subject", "counsellor_username", "consent_recorded_by", "name_key", "roles",
    "institution", "is_staff", "allowed_actions", "transitions",
}
HOSTILE_TIME = "2001-01-01T00:00:00Z"

# Operations that take no JSON body: a body sent anyway must change nothing it names.
BODYLESS = {("post", "/api/v1/clients/{client_id}/erase"),
            ("post", "/api/v1/notifications/{notification_id}/read")}
# The HSDS package import: a free-form document, tested on its own below.
PACKAGE = {("post", "/api/v1/directory/import")}




def _operation(method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = openapi_schema()["paths"][path][method]
    return found


def request_fields(method: str, path: str) -> set[str]:
    body = _operation(method, path).get("requestBody", {}).get("content", {})
    return set(properties(body.get("application/json", {}).get("schema")))


def nested_fields(method: str, path: str, key: str) -> set[str]:
    """The declared properties of a body field that is an object or a list of objects."""
    body = _operation(method, path)["requestBody"]["content"]["application/json"]["schema"]
    node = resolve(properties(body).get(key, {}))
    return set(properties(node.get("items", node)))


def response_fields(method: str, path: str) -> set[str]:
    """Properties of the operation's 2xx answers (every variant of a oneOf)."""
    found: set[str] = set()
    for code, answer in _operation(method, path)["responses"].items():
        if not code.startswith("2"):
            continue
        for content in answer.get("content", {}).values():
            schema = resolve(content.get("schema"))
            for variant in schema.get("oneOf", [schema]):
                found |= set(properties(variant))
    return found


def hostile_value(name: str, world: World) -> Any:
    """A plausible value for a field nobody may set: another tenant, another record, a time."""
    if name in ("tenant", "tenant_id"):
        return "RS"
    if name == "organization_id":
        return world.other_institution
    if name == "version":
        return 99
    if name == "state":
        return "completed"
    if name.endswith("_at"):
        return HOSTILE_TIME
    if name.endswith("_id") or name == "id":
        return "00000000-0000-4000-8000-000000000001"
    return "set-by-the-caller"


def names_field(errors: Any, name: str) -> bool:
    """Whether the error's `fields` names `name`, at any depth (nested serializers)."""
    if isinstance(errors, dict):
        return name in errors or any(names_field(v, name) for v in errors.values())
    if isinstance(errors, list):
        return any(names_field(item, name) for item in errors)
    return False


def test_every_writable_operation_is_covered() -> None:
    """A new POST/PATCH/PUT fails here until it gets a row in WRITES (or a test of its own)."""
    writable = {op for op in operations() if op[0] in WRITE_METHODS}
    assert writable == set(WRITES) | BODYLESS | PACKAGE
    for method, path in WRITES:
        assert request_fields(method, path), f"{method} {path} declares no JSON body"
    assert {op for op in writable if "requestBody" not in _operation(*op)} == BODYLESS


@pytest.mark.parametrize(("method", "path"), sorted(WRITES),
                         ids=[f"{m.upper()} {p}" for m, p in sorted(WRITES)])
def test_fields_the_caller_may_not_set_are_rejected(method: str, path: str,
                                                    world: World) -> None:
    write = WRITES[(method, path)]
    current, if_match = current_state(write, world)
    body = write.body(world, current)
    writable = request_fields(method, path)
    # First the valid body, undone again: it must pass, and its answer names more read-only
    # fields where the schema leaves the answer free-form (HSDS objects, routing explanations).
    with rolled_back():
        accepted = call(write.caller, method, path, world, body, if_match)
        assert 200 <= accepted.status_code < 300, accepted.content
        answer = accepted.json() if accepted.content else {}
    seen = set(answer) if isinstance(answer, dict) else set()
    forbidden = sorted((NEVER_WRITABLE | response_fields(method, path) | seen) - writable)
    assert forbidden
    before = snapshot()
    for name in forbidden:
        response = call(write.caller, method, path, world,
                        {**body, name: hostile_value(name, world)}, if_match)
        HOSTILE.count(let_through=acceptance(response))
        where = f"{method.upper()} {path} with {name!r}: {response.status_code}"
        assert response.status_code == 400, f"{where} {response.content[:300]!r}"
        assert name in response.json()["error"].get("fields", {}), where
    # Nested objects the schema declares (a client's consent, each stay) are just as strict.
    for key, value in body.items():
        target = value[0] if isinstance(value, list) and value else value
        if not (isinstance(target, dict) and nested_fields(method, path, key)):
            continue
        hostile = {**target, "id": hostile_value("id", world), "tenant_id": "RS"}
        nested = [hostile, *value[1:]] if isinstance(value, list) else hostile
        response = call(write.caller, method, path, world, {**body, key: nested}, if_match)
        HOSTILE.count(let_through=acceptance(response))
        assert response.status_code == 400, (key, response.content)
        assert names_field(response.json()["error"]["fields"].get(key), "tenant_id"), key
    assert snapshot() == before, f"{method.upper()} {path} changed data while refusing it"


def _sync(world: World, item: dict[str, Any]) -> dict[str, Any]:
    """A hostile item's outcome; sync answers each item on its own, so anything but `invalid`
    let the item through."""
    response = as_user("counsellor.al").post("/api/v1/sync", {"items": [item]}, format="json")
    assert response.status_code == 200, response.content
    outcome: dict[str, Any] = response.json()["results"][0]
    HOSTILE.count(let_through=outcome.get("status") != "invalid")
    return outcome


def test_sync_items_refuse_fields_the_caller_may_not_set(world: World) -> None:
    """Bulk sync answers item by item: an item or its data naming a forbidden field is invalid,
    with the field named, and creates nothing."""
    client = {**CLIENT, "given_name": "Dea"}
    visit = {"client_id": world.ids["client_id"], "centre_id": world.ids["centre_id"],
             "occurred_at": "2026-11-05T09:00:00Z", "channel": "email",
             "services": ["information"]}
    before = snapshot()
    for kind, data in (("client", client), ("visit", visit)):
        for name in ("tenant_id", "id", "version", "created_at", "counsellor_username"):
            envelope = _sync(world, {"kind": kind, "key": f"k-{kind}-{name}", "data": data,
                                     name: hostile_value(name, world)})
            assert (envelope["status"], set(envelope["errors"])) == ("invalid", {name})
            inner = _sync(world, {"kind": kind, "key": f"d-{kind}-{name}",
                                  "data": {**data, name: hostile_value(name, world)}})
            assert inner["status"] == "invalid", inner
            assert f"data.{name}" in inner["errors"], inner
    assert snapshot() == before


def test_bodyless_writes_ignore_what_a_body_names(world: World) -> None:
    """Erasure and marking a notification read take no body; one sent anyway cannot steer them
    (another tenant, another record, a chosen time)."""
    hostile = {"tenant_id": "RS", "client_id": world.ids["centre_id"], "id": "1",
               "erased_at": HOSTILE_TIME, "read_at": HOSTILE_TIME,
               "recipient_subject": "someone-else"}
    read = as_user("counsellor.al").post(
        f"/api/v1/notifications/{world.ids['notification_id']}/read", hostile, format="json")
    assert read.status_code == 200, read.content
    assert read.json()["id"] == int(world.ids["notification_id"])
    assert not read.json()["read_at"].startswith("2001"), read.json()
    erase = as_user("admin.al").post(f"/api/v1/clients/{world.ids['client_id']}/erase", hostile,
                                     format="json")
    assert erase.status_code == 204, erase.content
    with tenant_transaction("AL"):
        client = Client.objects.get(id=world.ids["client_id"])
        note = Notification.objects.get(id=world.ids["notification_id"])
    assert client.tenant_id == "AL" and client.erased_at is not None
    assert client.erased_at.year > 2001
    assert note.recipient_subject != "someone-else"


def test_directory_import_takes_tenant_and_versions_from_nowhere_but_the_token(
        world: World) -> None:
    """An HSDS package may carry extension fields, so unknown keys are read past, not refused:
    a package naming another tenant, versions and times changes none of them."""
    exported = as_user("admin.al").get("/api/v1/directory/export?as=json")
    assert exported.status_code == 200, exported.content
    package = exported.json()
    stamp = {"tenant": "RS", "tenant_id": "RS", "version": 99, "created_at": HOSTILE_TIME,
             "updated_at": HOSTILE_TIME}
    package.update(stamp)
    for key in ("organizations", "services", "locations"):
        package[key] = [{**record, **stamp} for record in package[key]]
    imported = as_user("admin.al").post("/api/v1/directory/import", json.dumps(package),
                                        content_type="application/json")
    assert imported.status_code == 200, imported.content
    service_ids = [s["id"] for s in package["services"]]
    organization_ids = [o["id"] for o in package["organizations"]]
    with tenant_transaction("AL"):
        services = list(Service.objects.filter(id__in=service_ids))
        organizations = list(Organization.objects.filter(id__in=organization_ids))
    assert [s.tenant_id for s in services] == ["AL"] * len(service_ids)
    assert [o.tenant_id for o in organizations] == ["AL"] * len(organization_ids)
    assert all(s.version != 99 and s.updated_at.year > 2001 for s in services)
    with tenant_transaction("RS"):  # RS would see its own rows
        assert not Service.objects.filter(id__in=service_ids).exists()
        assert not Organization.objects.filter(id__in=organization_ids).exists()


def test_a_partner_registers_webhooks_for_its_own_institution_only(world: World) -> None:
    """`organization_id` is writable for tenant admins; a partner naming another institution is
    refused, not silently given a webhook of its own."""
    response = as_user("partner.al").post("/api/v1/webhooks", {
        "url": "http://127.0.0.1:9/elsewhere", "organization_id": world.other_institution},
        format="json")
    HOSTILE.count(let_through=acceptance(response))
    assert response.status_code == 400, response.content
    assert "organization_id" in response.json()["error"]["fields"]


# --- What each caller may see -----------------------------------------------------------------

PARTNER_REFERRAL = {"id", "version", "state", "service_id", "service_name", "need", "need_name",
                    "languages", "note_for_partner", "sent_at", "due_at", "answered_at",
                    "closed_at", "outcome", "allowed_actions", "client"}
PARTNER_CLIENT = {"given_name", "family_name", "phone", "email"}
# Keys that name one person's data in this API. Directory entries have institutions' e-mails
# and phones, and the statistics count destinations, so those are checked by value instead.
PERSONAL_KEYS = {"given_name", "family_name", "birth_date", "birth_year", "address", "client",
                 "client_id", "consent_recorded_by"}
NEVER_SHOWN = {"tenant_id", "secret", "name_key", "created_by_subject", "recipient_subject"}


def keys_in(document: Any) -> set[str]:
    if isinstance(document, dict):
        return set(document) | {k for v in document.values() for k in keys_in(v)}
    if isinstance(document, list):
        return {k for item in document for k in keys_in(item)}
    return set()


def _get_all(caller: str, world: World) -> Iterator[tuple[str, Any]]:
    """Every GET of the schema that `caller` may call, aimed at the world; (url, answer)."""
    ids = {**world.ids, "referral_id": world.referral_accepted}
    queries = {"/api/v1/stats/summary": "?from=2026-11-01&to=2026-11-30"}
    for method, path in operations():
        if method != "get" or path == "/api/v1/schema":
            continue
        response = as_user(caller).get(path.format(**ids) + queries.get(path, ""))
        if response.status_code == 403 or (response.status_code == 404 and "{" in path
                                            and CALLERS[caller] == {"regional_monitor"}):
            continue  # not the caller's to call; tenants' records are not the region's
        assert response.status_code == 200, (caller, path, response.content)
        if response["Content-Type"].startswith("application/json"):
            yield path, response.json()


def test_a_partner_sees_referrals_as_name_contact_need_and_language(world: World) -> None:
    """The inbox, one referral and the answer to a step carry exactly the partner's fields;
    nothing a partner may read anywhere names the client's birth, address, id or counsellor."""
    partner = as_user("partner.al")
    inbox = partner.get("/api/v1/referrals").json()["results"]
    one = partner.get(f"/api/v1/referrals/{world.referral_sent}").json()
    acted = partner.post(f"/api/v1/referrals/{world.referral_sent}/accept", {},
                         format="json").json()
    assert len(inbox) == 2
    for referral in [*inbox, one, acted]:
        assert set(referral) == PARTNER_REFERRAL, sorted(set(referral) ^ PARTNER_REFERRAL)
        assert set(referral["client"]) == PARTNER_CLIENT
    for path, answer in _get_all("partner.al", world):
        text = json.dumps(answer, ensure_ascii=False)
        for value in ("1985-03-02", "Rruga e Kavaj", world.ids["client_id"], "counsellor.al"):
            assert value not in text, f"a partner reads {value!r} in {path}"


def test_the_regional_monitor_sees_no_personal_data(world: World,
                                                    statistics_store: None) -> None:
    """Every GET the region may call, the statistics included, aimed at a tenant's records."""
    seen = 0
    for path, answer in _get_all("regional.monitor", world):
        seen += 1
        text = json.dumps(answer, ensure_ascii=False)
        assert not any(value in text for value in PERSONAL_VALUES), path
        assert not keys_in(answer) & PERSONAL_KEYS, (path, keys_in(answer) & PERSONAL_KEYS)
    assert seen >= 8  # the directory, the statistics and `me` at least


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_no_reader_sees_secrets_tenant_ids_or_search_keys(caller: str, world: World,
                                                          statistics_store: None) -> None:
    """A webhook's secret is shown once, when it is registered; the rest is internal."""
    for path, answer in _get_all(caller, world):
        assert not keys_in(answer) & NEVER_SHOWN, (caller, path, keys_in(answer) & NEVER_SHOWN)
