from django.urls import path

from analytics_stream.stats_apis import SummaryApi

urlpatterns = [
    path("stats/summary", SummaryApi.as_view(), name="stats-summary"),
]
