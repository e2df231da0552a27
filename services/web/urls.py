from django.urls import path

from services.web import oidc

urlpatterns = [
    path("login", oidc.login, name="web-login"),
    path("oidc/callback", oidc.callback, name="web-oidc-callback"),
    path("logout", oidc.logout, name="web-logout"),
]
