"""URL map: health probes, the versioned API and its OpenAPI schema, the web pages."""

from django.urls import URLPattern, URLResolver, include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView

from services import health
from services.api.errors import api_or_page
from services.auth.apis import MeApi
from services.metrics import metrics_view
from services.web.home import not_found

api_v1: list[URLPattern | URLResolver] = [
    path("me", MeApi.as_view(), name="me"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("", include("intake.urls")),
    path("", include("referrals.urls")),
    path("", include("analytics_stream.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("services.web.urls")),
    path("", include("analytics_stream.dashboard_urls")),
    path("api/v1/", include((api_v1, "v1"))),
]

# What Django answers itself (no view matched, a bad request, a crash): under /api/ the API's
# error body, a 404 the same as a missing record's; elsewhere the pages, a missing page (or
# another tenant's record) in the pages' layout and the user's language.
handler400 = api_or_page(400, defaults.bad_request)
handler403 = api_or_page(403, defaults.permission_denied)
handler404 = api_or_page(404, not_found)
handler500 = api_or_page(500, defaults.server_error)
