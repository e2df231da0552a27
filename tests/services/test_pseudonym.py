"""Client pseudonyms and age bands: stable, tenant-specific, and not the person in disguise."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date

import pytest

from services.events.pseudonym import age_band, client_pseudonym


def test_stable_and_different_per_tenant_and_client() -> None:
    client = uuid.uuid4()
    assert client_pseudonym("AL", client) == client_pseudonym("AL", client)
    assert client_pseudonym("AL", client) != client_pseudonym("RS", client)
    assert client_pseudonym("AL", client) != client_pseudonym("AL", uuid.uuid4())


def test_pseudonym_reveals_nothing_of_the_id() -> None:
    for _ in range(50):
        client = uuid.uuid4()
        pseudonym = client_pseudonym("AL", client)
        assert len(pseudonym) == 64
        assert int(pseudonym, 16) >= 0
        for chunk in (client.hex[i:i + 8] for i in range(0, 32, 8)):
            assert chunk not in pseudonym


def test_another_secret_gives_other_pseudonyms(monkeypatch: pytest.MonkeyPatch) -> None:
    client = uuid.uuid4()
    before = client_pseudonym("AL", client)
    monkeypatch.setenv("MSC_PSEUDONYM_SECRET", "another-secret")
    assert client_pseudonym("AL", client) != before


@pytest.mark.parametrize(
    ("birth_year", "band"),
    [(2008, "0-14"), (1994, "0-14"), (1993, "15-24"), (1984, "15-24"), (1983, "25-34"),
     (1974, "25-34"), (1973, "35-44"), (1964, "35-44"), (1963, "45-54"), (1954, "45-54"),
     (1953, "55-64"), (1944, "55-64"), (1943, "65+"), (1900, "65+")],
)
def test_age_band_boundaries(birth_year: int, band: str) -> None:
    assert age_band(birth_year, date(2008, 9, 30)) == band


def test_age_band_uses_the_age_reached_that_year() -> None:
    assert age_band(1983, date(2008, 1, 1)) == age_band(1983, date(2008, 12, 31)) == "25-34"


def test_production_settings_refuse_the_development_secret() -> None:
    env = {key: value for key, value in os.environ.items() if key != "MSC_PSEUDONYM_SECRET"}
    env["MSC_SECRET_KEY"] = "x" * 40
    code = "import services.settings.prod"
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=60, check=False)
    assert refused.returncode != 0
    assert "MSC_PSEUDONYM_SECRET must be set" in refused.stderr
    env["MSC_PSEUDONYM_SECRET"] = "a-real-secret-" + "y" * 40
    accepted = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
    assert accepted.returncode == 0, accepted.stderr
