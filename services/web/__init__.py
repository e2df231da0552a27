"""The web pages, on the same Django project as the API and calling the same service functions:
Keycloak login (code + PKCE, tokens kept server-side), the layout every page shares, the
counsellor's pages (clients, registration, visits, referring, referrals), the centre manager's
(centres, group sessions, a centre's figures), the tenant administrator's (activity, erasure,
directory, routing settings) and the partner institutions' inbox, in the languages of the region
(`services.web.i18n`)."""
