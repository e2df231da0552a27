"""Migrations run only as the owner role; the application reads and writes as the app role."""

from __future__ import annotations

from typing import Any

OWNER_ALIAS = "owner"


class OwnerMigratesRouter:
    """Route schema changes to the `owner` alias and nothing else there."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return "default"

    def db_for_write(self, model: type, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: object, obj2: object, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == OWNER_ALIAS
