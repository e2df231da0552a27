"""The web pages: login, the language switch, the counsellor's, the centre manager's, the
tenant administrator's and the institution's pages, and the directory, which the regional office
keeps too (its shared entries)."""

from django.urls import include, path

from services.web import (
    admin_audit,
    centre_figures,
    centres,
    clients,
    directory,
    erasure,
    group_sessions,
    home,
    oidc,
    partner,
    referring,
    registration,
    routing_settings,
    sent_referrals,
    visits,
)

urlpatterns = [
    path("", home.start, name="web-start"),
    path("login", oidc.login, name="web-login"),
    path("oidc/callback", oidc.callback, name="web-oidc-callback"),
    path("logout", oidc.logout, name="web-logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("app/", home.home, name="web-home"),
    path("app/clients", clients.search, name="web-clients"),
    path("app/clients/new", registration.register, name="web-client-new"),
    path("app/clients/<uuid:client_id>", clients.client_page, name="web-client"),
    path("app/clients/<uuid:client_id>/edit", registration.edit, name="web-client-edit"),
    path("app/clients/<uuid:client_id>/erase", erasure.erase, name="web-client-erase"),
    path("app/clients/<uuid:client_id>/refer", referring.refer, name="web-refer"),
    path("app/visits/<uuid:visit_id>/edit", visits.correct, name="web-visit-edit"),
    path("app/referrals", sent_referrals.overview, name="web-referrals"),
    path("app/referrals/<uuid:referral_id>", sent_referrals.referral, name="web-referral"),
    path("app/notifications", sent_referrals.notifications, name="web-notifications"),
    path("app/centres", centres.centres, name="web-centres"),
    path("app/centres/new", centres.new_centre, name="web-centre-new"),
    path("app/centres/<uuid:centre_id>", centres.edit_centre, name="web-centre"),
    path("app/centres/<uuid:centre_id>/figures", centre_figures.figures,
         name="web-centre-figures"),
    path("app/sessions", group_sessions.sessions, name="web-sessions"),
    path("app/sessions/new", group_sessions.new_session, name="web-session-new"),
    path("app/admin/activity", admin_audit.activity, name="web-activity"),
    path("app/admin/directory", directory.services, name="web-directory"),
    path("app/admin/directory/services/<uuid:service_id>", directory.edit_service,
         name="web-directory-service"),
    path("app/admin/directory/import", directory.import_package, name="web-directory-import"),
    path("app/admin/directory/export", directory.export_package, name="web-directory-export"),
    path("app/admin/routing", routing_settings.settings_page, name="web-routing-settings"),
    path("app/partner/referrals", partner.inbox, name="web-partner-inbox"),
    path("app/partner/referrals/<uuid:referral_id>", partner.referral,
         name="web-partner-referral"),
]
