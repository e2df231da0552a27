from django.urls import path

from analytics_stream.dashboard import dashboard, dashboard_data

urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/data", dashboard_data, name="dashboard-data"),
]
