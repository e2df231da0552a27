"""What every web page shares: Keycloak login (code + PKCE), the session, the page layout."""
