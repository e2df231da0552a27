"""Who may call what: an authenticated principal, optionally holding one of some roles."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from services.api.query import refuse_nul_in_query
from services.auth.tokens import Principal


class IsAuthenticatedPrincipal(BasePermission):
    """Any caller with a valid access token; with `roles`, only one holding one of them.

    Every API view's permission is this class or `roles_required`'s, so this is also the first
    point where the caller is known: the checks every operation shares on its input run here,
    after 401 and 403, so a caller without a token hears 401 whatever the request carries.
    """

    roles: tuple[str, ...] = ()

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not isinstance(principal, Principal):
            return False
        if self.roles and not principal.has_role(*self.roles):
            return False
        refuse_nul_in_query(request)
        return True


def roles_required(*roles: str) -> type[IsAuthenticatedPrincipal]:
    """A permission class admitting principals that hold at least one of `roles`."""

    class HasRole(IsAuthenticatedPrincipal):
        message = f"requires one of the roles: {', '.join(sorted(roles))}"

    HasRole.roles = roles
    HasRole.__name__ = f"HasRole_{'_'.join(sorted(roles))}"
    return HasRole


def request_principal(request: Request) -> Principal:
    """The caller of a view whose permission classes admit only principals."""
    principal = request.user
    if not isinstance(principal, Principal):
        raise TypeError("view reached without an authenticated principal")
    return principal
