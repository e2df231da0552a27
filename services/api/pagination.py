"""Cursor pagination for every list: stable under inserts, no page counting over the table."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Pages of `page_size` (at most 200) ordered by creation time, then id as tie-breaker."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")
