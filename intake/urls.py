from django.urls import path

from intake.apis import CentreDetailApi, CentreListApi
from intake.client_apis import AuditListApi, ClientDetailApi, ClientEraseApi, ClientListApi
from intake.session_apis import GroupSessionListApi
from intake.sync_apis import SyncApi
from intake.visit_apis import VisitDetailApi, VisitListApi

urlpatterns = [
    path("centres", CentreListApi.as_view(), name="centre-list"),
    path("centres/<uuid:centre_id>", CentreDetailApi.as_view(), name="centre-detail"),
    path("clients", ClientListApi.as_view(), name="client-list"),
    path("clients/<uuid:client_id>", ClientDetailApi.as_view(), name="client-detail"),
    path("clients/<uuid:client_id>/erase", ClientEraseApi.as_view(), name="client-erase"),
    path("group-sessions", GroupSessionListApi.as_view(), name="group-session-list"),
    path("visits", VisitListApi.as_view(), name="visit-list"),
    path("visits/<uuid:visit_id>", VisitDetailApi.as_view(), name="visit-detail"),
    path("sync", SyncApi.as_view(), name="sync"),
    path("audit", AuditListApi.as_view(), name="audit-list"),
]
