"""Typed access to the platform's own settings blocks (Django's settings object is untyped)."""

from __future__ import annotations

from django.conf import settings

from services.settings.base import ClickHouseSettings, KafkaSettings, KeycloakSettings


def keycloak_settings() -> KeycloakSettings:
    return settings.KEYCLOAK


def kafka_settings() -> KafkaSettings:
    return settings.KAFKA


def clickhouse_settings() -> ClickHouseSettings:
    return settings.CLICKHOUSE
