"""OpenAPI description of the bearer-token authentication (registered on import)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class KeycloakBearerScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "services.auth.authentication.KeycloakJWTAuthentication"
    name = "keycloakBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "Access token of the Keycloak realm `msc` (audience msc-api)."}
