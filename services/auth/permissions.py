"""Who may call what: an authenticated principal, optionally holding one of some roles."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from services.auth.tokens import Principal


class IsAuthenticatedPrincipal(BasePermission):
    """Any caller with a valid access token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Principal)


def roles_required(*roles: str) -> type[BasePermission]:
    """A permission class admitting principals that hold at least one of `roles`."""

    class HasRole(BasePermission):
        message = f"requires one of the roles: {', '.join(sorted(roles))}"

        def has_permission(self, request: Request, view: Any) -> bool:
            user = request.user
            return isinstance(user, Principal) and user.has_role(*roles)

    HasRole.__name__ = f"HasRole_{'_'.join(sorted(roles))}"
    return HasRole


def request_principal(request: Request) -> Principal:
    """The caller of a view whose permission classes admit only principals."""
    principal = request.user
    if not isinstance(principal, Principal):
        raise TypeError("view reached without an authenticated principal")
    return principal
