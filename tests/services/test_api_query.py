"""Query text with a NUL character is refused (400) by every operation of the schema, whatever
parameters it reads, once the caller is known: without a token the answer stays 401."""

from __future__ import annotations

import re
import uuid

import pytest
from rest_framework.test import APIClient

from tests.conftest import require_component
from tests.integration.keycloak_helpers import as_user
from tests.security.surface import callers_allowed, operations

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# Path parameters that are not UUIDs; the records need not exist: the query is refused first.
PATH_VALUES = {"notification_id": "1", "action": "accept"}
REFUSED = ["must not contain NUL characters"]


@pytest.fixture(autouse=True)
def stack() -> None:
    require_component("postgres")
    require_component("keycloak")


def _url(path: str, query: str) -> str:
    filled = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m[1], str(uuid.uuid4())), path)
    return f"{filled}?{query}"


@pytest.mark.parametrize(("method", "path"), operations())
def test_every_operation_refuses_nul_in_query_text(method: str, path: str) -> None:
    caller = as_user(callers_allowed(method, path)[0])
    for query, field in (("page_size=5&probe=a%00b", "probe"), ("a%00b=1", "a\x00b")):
        response = getattr(caller, method)(_url(path, query), {}, format="json")
        assert response.status_code == 400, (query, response.content[:300])
        assert response.json()["error"]["fields"] == {field: REFUSED}
    anonymous = getattr(APIClient(), method)(_url(path, "probe=a%00b"), {}, format="json")
    assert anonymous.status_code == 401
