"""The OpenAPI schema is generated without warnings and every change to it shows in review."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import yaml
from drf_spectacular.generators import SchemaGenerator

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.yaml"


def _schema() -> str:
    # drf-spectacular ships no type hints for its generator.
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    return yaml.safe_dump(schema, sort_keys=True, allow_unicode=True)


def test_openapi_matches_the_snapshot() -> None:
    actual = _schema()
    if os.environ.get("MSC_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(actual)
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        "committed snapshot", "generated schema"))
    assert not diff, (
        "The OpenAPI schema differs from tests/contract/snapshots/openapi.yaml. If the change "
        "is intended, rerun with MSC_UPDATE_SNAPSHOTS=1 and commit the file.\n" + diff[:20000]
    )


def test_every_operation_requires_the_bearer_token() -> None:
    schema = yaml.safe_load(_schema())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security") == [{"keycloakBearer": []}], f"{method} {path}"
