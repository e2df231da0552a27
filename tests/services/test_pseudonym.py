"""Client pseudonyms: stable, tenant-specific, and not the id in disguise."""

from __future__ import annotations

import uuid

import pytest

from services.events.pseudonym import client_pseudonym


def test_stable_and_different_per_tenant_and_client() -> None:
    client = uuid.uuid4()
    assert client_pseudonym("AL", client) == client_pseudonym("AL", client)
    assert client_pseudonym("AL", client) != client_pseudonym("RS", client)
    assert client_pseudonym("AL", client) != client_pseudonym("AL", uuid.uuid4())


def test_pseudonym_reveals_nothing_of_the_id() -> None:
    client = uuid.uuid4()
    pseudonym = client_pseudonym("AL", client)
    assert len(pseudonym) == 64
    assert client.hex[:8] not in pseudonym


def test_another_secret_gives_other_pseudonyms(monkeypatch: pytest.MonkeyPatch) -> None:
    client = uuid.uuid4()
    before = client_pseudonym("AL", client)
    monkeypatch.setenv("MSC_PSEUDONYM_SECRET", "another-secret")
    assert client_pseudonym("AL", client) != before
