"""The web pages: login, the language switch, the counsellor's and the institution's pages."""

from django.urls import include, path

from services.web import clients, home, oidc, partner, referring, sent_referrals

urlpatterns = [
    path("", home.start, name="web-start"),
    path("login", oidc.login, name="web-login"),
    path("oidc/callback", oidc.callback, name="web-oidc-callback"),
    path("logout", oidc.logout, name="web-logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("app/", home.home, name="web-home"),
    path("app/clients", clients.search, name="web-clients"),
    path("app/clients/<uuid:client_id>", clients.client_page, name="web-client"),
    path("app/clients/<uuid:client_id>/refer", referring.refer, name="web-refer"),
    path("app/referrals", sent_referrals.overview, name="web-referrals"),
    path("app/referrals/<uuid:referral_id>", sent_referrals.referral, name="web-referral"),
    path("app/notifications", sent_referrals.notifications, name="web-notifications"),
    path("app/partner/referrals", partner.inbox, name="web-partner-inbox"),
    path("app/partner/referrals/<uuid:referral_id>", partner.referral,
         name="web-partner-referral"),
]
