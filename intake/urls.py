from django.urls import path

from intake.apis import CentreListApi

urlpatterns = [
    path("centres", CentreListApi.as_view(), name="centre-list"),
]
