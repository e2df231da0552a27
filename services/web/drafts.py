"""Form input kept across a login, so an expired session never loses what someone typed.

When a form arrives after the user's tokens expired (and could not be renewed), the posted
fields are kept in the server-side session under the page's path, the user logs in again, and
the page offers the input back to be checked and sent; it is never sent by itself, because the
record may have changed meanwhile. A draft goes back only to the user who typed it: on a shared
computer the next person to log in does not see it.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, QueryDict

from services.auth.tokens import Principal

DRAFTS_KEY = "web_drafts"
# Who was logged in last in this session; kept when the tokens expire, gone at logout.
OWNER_KEY = "web_subject"
MAX_DRAFTS = 10
MAX_DRAFT_CHARACTERS = 50_000
_NOT_KEPT = {"csrfmiddlewaretoken"}


def remember_owner(session: SessionBase, principal: Principal) -> None:
    session[OWNER_KEY] = principal.subject


def keep(request: HttpRequest) -> bool:
    """Keep the posted fields for the page they were posted to; False when there is no known
    user to give them back to, or they are too large to keep in a session."""
    owner = request.session.get(OWNER_KEY)
    if not owner:
        return False
    fields = {name: values for name, values in request.POST.lists() if name not in _NOT_KEPT}
    if len(json.dumps(fields)) > MAX_DRAFT_CHARACTERS:
        return False
    drafts: dict[str, dict[str, object]] = dict(request.session.get(DRAFTS_KEY) or {})
    drafts.pop(request.path, None)
    drafts[request.path] = {"owner": owner, "fields": fields}
    while len(drafts) > MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    request.session[DRAFTS_KEY] = drafts
    return True


def take(request: HttpRequest, principal: Principal) -> QueryDict | None:
    """The input kept for this page and this user, once; None if there is none."""
    drafts: dict[str, dict[str, object]] = dict(request.session.get(DRAFTS_KEY) or {})
    draft = drafts.pop(request.path, None)
    if draft is None:
        return None
    request.session[DRAFTS_KEY] = drafts
    fields = draft.get("fields")
    if draft.get("owner") != principal.subject or not isinstance(fields, dict):
        return None
    data = QueryDict(mutable=True)
    for name, values in fields.items():
        data.setlist(str(name), [str(value) for value in values])
    return data


def initial_of(data: QueryDict) -> dict[str, Any]:
    """Kept input as a form's initial values: one value, or the list of a multiple choice."""
    return {name: values[0] if len(values) == 1 else values for name, values in data.lists()}
