"""The CloudEvents 1.0 envelope every platform event travels in (JSON event format).

Besides the required attributes (`id`, `source`, `specversion`, `type`) and the optional ones we
always set (`time`, `subject`, `datacontenttype`), three extensions carry what consumers need
without opening the payload: `tenantid`, `partitionkey` (the Kafka key, "TENANT:aggregate-id") and
`aggregateversion` (so a consumer can drop an update older than one it already applied).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

# Reverse-DNS, lower case, ending in a version: org.msc.intake.visit.recorded.v1
EVENT_TYPE_PATTERN = r"^org\.msc\.[a-z0-9-]+(\.[a-z0-9-]+)+\.v[1-9][0-9]*$"


class Envelope(BaseModel):
    """One event: CloudEvents attributes, the platform's extensions and the payload as `data`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    source: str = Field(pattern=r"^/msc/[a-z0-9-]+$")
    specversion: Literal["1.0"] = "1.0"
    type: str = Field(pattern=EVENT_TYPE_PATTERN)
    time: AwareDatetime
    subject: str = Field(min_length=1)
    datacontenttype: Literal["application/json"] = "application/json"
    tenantid: str = Field(pattern=r"^[A-Z]{2}$")
    partitionkey: str
    aggregateversion: int = Field(ge=0)
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # One clock for everyone: the wire format always says Z, whatever offset the caller used.
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _key_belongs_to_tenant(self) -> Envelope:
        # A key of another tenant would put this tenant's event among that tenant's ordering.
        if not self.partitionkey.startswith(f"{self.tenantid}:") or self.partitionkey == (
            f"{self.tenantid}:"
        ):
            raise ValueError(f"partitionkey must be '{self.tenantid}:<aggregate id>'")
        return self


def partition_key(tenant_id: str, aggregate_id: str) -> str:
    """The Kafka key of an aggregate's events: one tenant's aggregate, one ordered stream."""
    return f"{tenant_id}:{aggregate_id}"


def source_of(event_type: str) -> str:
    """The CloudEvents `source` of a type: its service (`org.msc.intake.…` -> `/msc/intake`)."""
    parts = event_type.split(".")
    if len(parts) < 4 or parts[:2] != ["org", "msc"]:
        raise ValueError(f"not a platform event type: {event_type!r}")
    return f"/msc/{parts[2]}"


def new_envelope(*, event_type: str, tenant_id: str, subject: str, aggregate_id: str,
                 aggregate_version: int, data: dict[str, Any],
                 event_id: uuid.UUID | None = None, time: datetime | None = None) -> Envelope:
    """A fresh envelope (new id, now) for `data`, keyed by the tenant's aggregate."""
    return Envelope(
        id=event_id or uuid.uuid4(),
        source=source_of(event_type),
        type=event_type,
        time=time or datetime.now(tz=UTC),
        subject=subject,
        tenantid=tenant_id,
        partitionkey=partition_key(tenant_id, aggregate_id),
        aggregateversion=aggregate_version,
        data=data,
    )


def envelope_to_json(envelope: Envelope) -> bytes:
    """The envelope in CloudEvents' JSON event format, as UTF-8 bytes for the wire."""
    return envelope.model_dump_json().encode()


def envelope_to_dict(envelope: Envelope) -> dict[str, Any]:
    """The envelope as JSON-compatible values (for a JSONB column)."""
    return envelope.model_dump(mode="json")


def envelope_from_json(raw: bytes | str) -> Envelope:
    """Parse and validate an envelope; pydantic's `ValidationError` says what is wrong."""
    return Envelope.model_validate_json(raw)
