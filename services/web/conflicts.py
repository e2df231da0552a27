"""A change someone else saved first (the services' `VersionConflict`, the API's 409).

Nothing is overwritten: the page shows the record as the other person left it beside what the
user typed, field by field where they differ, and keeps the user's input in the form, now based
on the current version, so that saving again is a deliberate choice to put their values back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from services.web.labels import Label


@dataclass(frozen=True)
class Difference:
    """One field whose saved value is not what the user typed."""

    label: Label
    theirs: str
    yours: str


def differences(fields: Iterable[tuple[str, Label]], theirs: Mapping[str, Any],
                yours: Mapping[str, Any], shown: Callable[[str, Any], str]) -> list[Difference]:
    """The fields (name, label) whose values differ, each written by `shown(name, value)`."""
    rows = []
    for name, label in fields:
        saved, typed = shown(name, theirs.get(name)), shown(name, yours.get(name))
        if saved != typed:
            rows.append(Difference(label, saved, typed))
    return rows


def on_current_version(form_class: Callable[..., forms.Form], data: QueryDict, version: int,
                       **kwargs: Any) -> Any:
    """The user's input again, bound to the form as if based on `version`: what they typed
    stays, and sending it now replaces the other person's change knowingly."""
    again = data.copy()
    again["version"] = str(version)
    form = form_class(again, **kwargs)
    form.is_valid()
    return form
