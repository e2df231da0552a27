from django.urls import path

from intake.apis import CentreDetailApi, CentreListApi

urlpatterns = [
    path("centres", CentreListApi.as_view(), name="centre-list"),
    path("centres/<uuid:centre_id>", CentreDetailApi.as_view(), name="centre-detail"),
]
