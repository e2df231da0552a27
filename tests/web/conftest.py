"""Web page tests: Django's test client with a real Keycloak login in its session.

A session is logged in the way the login callback does it (`oidc.store_tokens`), with tokens
from the real Keycloak (password grant of the development client), so every page validates a
real token and acts through row-level security like in production.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from services.web.oidc import store_tokens
from tests.conftest import require_component
from tests.integration.keycloak_helpers import token_response
from tests.referral_world import World, make_world

# Tokens live 300 s in the realm; a cached answer is reused while it has minutes left, because
# the session counts its lifetime from when it is stored.
_REUSE_SECONDS = 120.0
_ANSWERS: dict[str, tuple[dict[str, Any], float]] = {}


def tokens_of(username: str) -> dict[str, Any]:
    cached = _ANSWERS.get(username)
    if cached is None or time.monotonic() - cached[1] > _REUSE_SECONDS:
        _ANSWERS[username] = cached = (token_response(username), time.monotonic())
    return dict(cached[0])


def logged_in(username: str, client: Client | None = None) -> Client:
    """A browser (test client) whose session holds `username`'s tokens."""
    client = client or Client()
    session = client.session
    store_tokens(session, tokens_of(username))
    session.save()
    return client


@pytest.fixture
def stack() -> None:
    require_component("postgres")
    require_component("keycloak")


@pytest.fixture
def world(stack: None) -> World:
    return make_world("AL")
