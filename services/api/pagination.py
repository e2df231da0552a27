"""Cursor pagination for every list: stable under inserts, no page counting over the table."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

M = TypeVar("M", bound=Model)


MAX_PAGE_SIZE = 200


class StableCursorPagination(CursorPagination):
    """Pages of `page_size` (at most 200) ordered by creation time, then id as tie-breaker.

    A larger `page_size` gets pages of the most, and one it cannot read (not a positive whole
    number) the default: DRF's lenience with query strings, documented in the schema.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = (
        f"Records per page: {page_size} unless given, at most {MAX_PAGE_SIZE} (a larger number "
        f"gets {MAX_PAGE_SIZE}).")
    ordering = ("-created_at", "-id")

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1,
                                       "maximum": self.max_page_size}
        return parameters


def paginated_response(
    request: Request, view: APIView, queryset: QuerySet[M],
    serializer_class: type[serializers.BaseSerializer[Any]],
    pagination_class: type[CursorPagination] | None = None,
) -> tuple[list[M], Response]:
    """One page of `queryset` serialized, and the records on it (for audit logging).

    The pagination is the view's `pagination_class` unless given: the OpenAPI schema reads the
    same attribute to describe the page (`results`, `next`, `previous`) instead of a bare list.
    """
    chosen = pagination_class or getattr(view, "pagination_class", None) or StableCursorPagination
    paginator = chosen()
    page: list[M] = paginator.paginate_queryset(queryset, request, view=view) or []
    return page, paginator.get_paginated_response(serializer_class(page, many=True).data)
