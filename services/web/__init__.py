"""The web pages, on the same Django project as the API and calling the same service functions:
Keycloak login (code + PKCE, tokens kept server-side), the layout every page shares, the
counsellor's pages (clients, referring, referrals) and the partner institutions' inbox, in the
languages of the region (`services.web.i18n`)."""
