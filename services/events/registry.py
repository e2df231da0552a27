"""The one registry of event payloads: CloudEvents `type` -> pydantic model and example messages.

Each app registers what it emits in its `events.py`:

    register_event(VISIT_RECORDED, VisitRecorded, examples=[{...}])

Producers validate through it (`services.outbox.services.outbox_append`), consumers decode through
it (`decode_event`), and the contract tests decode every example of every type. Apps' `events`
modules are imported when Django starts (`load_app_events`, run by the outbox app), so the
registry is complete in every process that sets Django up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.events.envelope import Envelope, envelope_to_json, new_envelope

ModelT = TypeVar("ModelT", bound=type[BaseModel])

# Fixed values for example messages, so that they are the same bytes on every run.
_EXAMPLE_NAMESPACE = uuid.UUID("6f1c4bd2-6d0e-4c55-9a43-3f7c25a4a001")
_EXAMPLE_TIME = datetime(2008, 9, 30, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class EventType:
    """A registered event type: its payload model and example payloads (`data` of an envelope)."""

    name: str
    model: type[BaseModel]
    examples: tuple[Mapping[str, Any], ...]


class UnknownEventType(KeyError):
    """No payload model is registered under this CloudEvents `type`."""


class UndecodableEvent(ValueError):
    """A message that is not a valid event of a registered type; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_REGISTRY: dict[str, EventType] = {}


def register_event(type_name: str, model: type[BaseModel], *,
                   examples: Iterable[Mapping[str, Any]]) -> EventType:
    """Register `model` as the payload of `type_name`; every example must validate against it.

    Registering the same model again (a module imported twice) is harmless; another model under
    a known name is an error, because consumers would no longer agree on what the type means.
    """
    example_list = tuple(examples)
    if not example_list:
        raise ValueError(f"{type_name}: register at least one example message")
    for index, example in enumerate(example_list):
        try:
            model.model_validate(example)
        except ValidationError as exc:
            raise ValueError(f"{type_name}: example {index} is invalid: {exc}") from exc
    # Builds (and so validates) the envelope too: a bad type name fails here, at import.
    new_envelope(event_type=type_name, tenant_id="AL", subject="example", aggregate_id="example",
                 aggregate_version=1, data=dict(example_list[0]))
    known = _REGISTRY.get(type_name)
    if known is not None and known.model is not model:
        raise ValueError(f"{type_name} is already registered with {known.model.__name__}")
    entry = EventType(name=type_name, model=model, examples=example_list)
    _REGISTRY[type_name] = entry
    return entry


def event_payload(type_name: str, *,
                  examples: Iterable[Mapping[str, Any]]) -> Callable[[ModelT], ModelT]:
    """Decorator form of `register_event` for a payload class."""

    def register(model: ModelT) -> ModelT:
        register_event(type_name, model, examples=examples)
        return model

    return register


def unregister_event(type_name: str) -> None:
    """Forget a type; for tests that register a sample type of their own."""
    _REGISTRY.pop(type_name, None)


def registered_types() -> list[EventType]:
    """Every registered type, by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def payload_model(type_name: str) -> type[BaseModel]:
    """The payload model of a type; `UnknownEventType` if nobody registered it."""
    try:
        return _REGISTRY[type_name].model
    except KeyError:
        raise UnknownEventType(f"no payload registered for event type {type_name!r}") from None


def payload_data(type_name: str, payload: BaseModel) -> dict[str, Any]:
    """`payload` as the JSON `data` of an event of `type_name`, checked against the registry.

    The payload must be an instance of the registered model (not just look like one), and it
    is validated again from its JSON form, exactly as a consumer will decode it.
    """
    model = payload_model(type_name)
    if not isinstance(payload, model):
        raise TypeError(f"{type_name} carries {model.__name__}, not {type(payload).__name__}")
    data: dict[str, Any] = payload.model_dump(mode="json")
    model.model_validate(data)
    return data


def example_messages(type_name: str) -> list[bytes]:
    """The type's examples as complete wire messages (envelope JSON), as a producer sends them."""
    entry = _REGISTRY[type_name]
    return [
        envelope_to_json(new_envelope(
            event_type=type_name, tenant_id="AL", subject=f"example/{index}",
            aggregate_id=f"example-{index}", aggregate_version=1, data=dict(example),
            event_id=uuid.uuid5(_EXAMPLE_NAMESPACE, f"{type_name}/{index}"), time=_EXAMPLE_TIME,
        ))
        for index, example in enumerate(entry.examples)
    ]


def decode_event(raw: bytes) -> tuple[Envelope, BaseModel]:
    """Parse a wire message into its envelope and typed payload.

    Raises `UndecodableEvent` with a reason a dead-letter reader can act on: not JSON, not a
    valid envelope, a type nobody registered, or a payload its model rejects.
    """
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UndecodableEvent(f"not JSON: {exc}") from exc
    try:
        envelope = Envelope.model_validate(document)
    except ValidationError as exc:
        raise UndecodableEvent(f"invalid envelope: {_errors(exc)}") from exc
    entry = _REGISTRY.get(envelope.type)
    if entry is None:
        raise UndecodableEvent(f"unknown event type {envelope.type!r}")
    try:
        payload = entry.model.model_validate(envelope.data)
    except ValidationError as exc:
        raise UndecodableEvent(f"invalid {envelope.type} payload: {_errors(exc)}") from exc
    return envelope, payload


def _errors(exc: ValidationError) -> str:
    """Pydantic's errors in one line: where and what, without echoing the (personal) input."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['msg']}"
        for error in exc.errors(include_input=False)
    )


def load_app_events() -> None:
    """Import every installed app's `events` module, where apps register their payloads."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("events")
