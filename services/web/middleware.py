"""The language of the web pages: the user's choice (a cookie), else the browser's.

Django's LocaleMiddleware, kept off the API: the API's messages are part of its contract and
stay in one language whatever `Accept-Language` a client sends.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware

API_PREFIX = "/api/"


class PageLocaleMiddleware(LocaleMiddleware):
    """LocaleMiddleware for everything but `/api/`."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith(API_PREFIX):
            super().process_request(request)

    def process_response(self, request: HttpRequest,
                         response: HttpResponseBase) -> HttpResponseBase:
        if request.path.startswith(API_PREFIX):
            return response
        return super().process_response(request, response)
