"""`POST /api/v1/sync`: up to 1,000 clients and visits recorded offline, each answered alone."""

from __future__ import annotations

from collections import Counter
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.client_apis import ClientInputSerializer, request_origin
from intake.models import SyncItem
from intake.sync import (
    CREATED,
    DUPLICATE,
    INVALID,
    MAX_ITEMS,
    POSSIBLE_DUPLICATE,
    Outcome,
    PendingItem,
    sync_batch,
)
from intake.visit_apis import VISIT_STAFF, VisitInputSerializer
from services.api.serializers import StrictFieldsMixin
from services.auth.permissions import request_principal, roles_required


class SyncVisitSerializer(VisitInputSerializer):
    """A visit as in `POST /visits`; its client by `client_id` or by the key of a synced client."""

    client_id = serializers.UUIDField(required=False)
    client_key = serializers.CharField(max_length=100, required=False)

    class Meta:
        component_name = "SyncVisitInput"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("client_id" in attrs) == ("client_key" in attrs):
            raise serializers.ValidationError(
                {"client_id": ["give either client_id or client_key"]})
        return attrs


class SyncClientSerializer(ClientInputSerializer):
    """A client as in `POST /clients`."""

    class Meta:
        component_name = "SyncClientInput"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "consent" not in attrs:
            raise serializers.ValidationError(
                {"consent": ["no personal data is stored without the client's consent"]})
        return attrs


DATA_SERIALIZERS: dict[str, type[serializers.Serializer[dict[str, Any]]]] = {
    SyncItem.Kind.CLIENT: SyncClientSerializer,
    SyncItem.Kind.VISIT: SyncVisitSerializer,
}


class SyncItemSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(choices=SyncItem.Kind.choices)
    key = serializers.CharField(max_length=100, help_text="made on the device, e.g. a UUID")
    # The metaclass moves declared fields out of the class, so these shadow nothing at run time.
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="SyncClientInput or SyncVisitInput, as `kind` says")

    class Meta:
        component_name = "SyncItem"


class SyncBatchSerializer(StrictFieldsMixin, serializers.Serializer[dict[str, Any]]):
    items = serializers.ListField(child=serializers.DictField(), min_length=1,
                                  max_length=MAX_ITEMS)

    class Meta:
        component_name = "SyncBatch"


class SyncOutcomeSerializer(serializers.Serializer[Outcome]):
    index = serializers.IntegerField()
    key = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=[CREATED, DUPLICATE, POSSIBLE_DUPLICATE, INVALID])
    id = serializers.UUIDField(allow_null=True)
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()))
    candidates = serializers.ListField(child=serializers.DictField())

    class Meta:
        component_name = "SyncOutcome"


class SyncResultSerializer(serializers.Serializer[dict[str, Any]]):
    results = SyncOutcomeSerializer(many=True)
    summary = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        component_name = "SyncResult"


def _errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                for k, v in detail.items()}
    return {"non_field_errors": [str(m) for m in detail]}


class _ItemParser:
    """Validates items one by one with one serializer of each kind, built once per batch.

    A serializer copies its fields when it is made; reusing one (as DRF's ListSerializer does
    with its child) keeps a 1,000-item batch from making 2,000 of them.
    """

    def __init__(self) -> None:
        self.envelope = SyncItemSerializer()
        self.data = {kind: serializer() for kind, serializer in DATA_SERIALIZERS.items()}
        self.seen: set[str] = set()

    def parse(self, index: int, raw: dict[str, Any]) -> PendingItem | Outcome:
        """An item ready for the service, or the reason it is invalid."""
        key, kind = str(raw.get("key", "")), str(raw.get("kind", ""))
        try:
            envelope = self.envelope.run_validation(raw)
        except serializers.ValidationError as invalid:
            return Outcome(index, key, kind, INVALID, errors=_errors(invalid.detail))
        key, kind = envelope["key"], envelope["kind"]
        if key in self.seen:
            return Outcome(index, key, kind, INVALID,
                           errors={"key": ["appears more than once in this batch"]})
        self.seen.add(key)
        try:
            data = self.data[kind].run_validation(envelope["data"])
        except serializers.ValidationError as invalid:
            return Outcome(index, key, kind, INVALID, errors={
                f"data.{k}": v for k, v in _errors(invalid.detail).items()})
        return PendingItem(index, key, kind, dict(data))


class SyncApi(APIView):
    """Bulk sync for centres with poor connectivity: created, duplicate or invalid, per item."""

    permission_classes = [roles_required(*VISIT_STAFF)]

    @extend_schema(request=SyncBatchSerializer, responses=SyncResultSerializer, description=(
        "Up to 1,000 items, each `{kind: client|visit, key, data}`. Each item is answered on "
        "its own, in order: `created` (with the new id), `duplicate` (its key was synced "
        "before; the id of that record), `possible_duplicate` (a client who probably exists; "
        "send again with `confirm_new: true`) or `invalid` (with the reasons). Resending a batch "
        "creates nothing twice."))
    def post(self, request: Request) -> Response:
        batch = SyncBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        parser = _ItemParser()
        parsed = [parser.parse(index, raw)
                  for index, raw in enumerate(batch.validated_data["items"])]
        pending = [p for p in parsed if isinstance(p, PendingItem)]
        outcomes = [p for p in parsed if isinstance(p, Outcome)]
        outcomes += sync_batch(actor=request_principal(request), items=pending,
                               origin=request_origin(request))
        outcomes.sort(key=lambda outcome: outcome.index)
        summary = Counter(outcome.status for outcome in outcomes)
        return Response(SyncResultSerializer(
            {"results": outcomes, "summary": dict(summary)}).data)
