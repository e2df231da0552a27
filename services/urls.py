"""URL map: health probes, the versioned API and its OpenAPI schema, the web pages."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView

from services import health
from services.auth.apis import MeApi
from services.metrics import metrics_view

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

# A missing page, or another tenant's record, in the pages' layout and the user's language.
handler404 = "services.web.home.not_found"
