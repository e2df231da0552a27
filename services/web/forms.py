"""The pages' forms. They only shape input (text trimmed, lengths bounded, choices offered);
whether a step is allowed and what it needs is decided by the service functions, whose
objections come back beside the field they concern (`add_service_objections`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from referrals.workflow import OUTCOMES
from services.web.labels import OUTCOMES as OUTCOME_LABELS
from services.web.labels import SPOKEN_LANGUAGES

if TYPE_CHECKING:  # django-stubs' helper types; the stubs are a development dependency
    from django_stubs_ext import StrOrPromise

# Django's own messages exist in most of the languages but not Montenegrin: these replace them.
_MESSAGES = {
    "required": _("Fill in this field."),
    "invalid_choice": _("Choose one of the options."),
    "invalid": _("This value is not valid."),
}

# The services' objections by field, in words for the user; the service's own text is English.
SERVICE_OBJECTIONS: Mapping[str, str | Promise] = {
    "reason": _("Give a reason."),
    "outcome": _("Choose an outcome."),
    "service_id": _("Choose a service that is open."),
    "need_id": _("Choose a need."),
    "client_id": _("This client cannot be referred."),
}

TEXT_LIMIT = 2000


def _text(label: StrOrPromise, *, required: bool = False, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, strip=True,
        validators=[MaxLengthValidator(TEXT_LIMIT, message=_(
            "Shorten this to at most %(limit_value)d characters."))],
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": TEXT_LIMIT}))


class PageForm(forms.Form):
    """A form whose every message comes from this app's catalogs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages = {**field.error_messages, **_MESSAGES}

    def add_error(self, field: str | None, error: Any) -> None:
        """Also tie each field to its message, so a screen reader reads them together."""
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    def add_service_objections(self, fields: Mapping[str, Any],
                               names: Mapping[str, str] | None = None) -> None:
        """Show a service's ValidationError detail beside the fields it names."""
        for field, _detail in fields.items():
            target = (names or {}).get(field, field)
            message = SERVICE_OBJECTIONS.get(field, _("This value is not valid."))
            self.add_error(target if target in self.fields else None, str(message))


def outcome_choices() -> list[tuple[str, str | Promise]]:
    return [("", _("Choose…")), *((code, OUTCOME_LABELS.get(code, code)) for code in OUTCOMES)]


class StepForm(PageForm):
    """One step of a referral (accept, decline with a reason, complete with an outcome...)."""

    reason = _text(_("Reason"))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=outcome_choices)
    # The version the user saw: a step based on an older one is refused, never applied blindly.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ReferForm(PageForm):
    """Refer a client: the need, the languages they speak, the chosen service, a note."""

    OTHER = "other"

    need = forms.ChoiceField(label=_("Need"))
    languages = forms.MultipleChoiceField(
        label=_("Languages the client can follow a course in"), required=False,
        choices=list(SPOKEN_LANGUAGES.items()), widget=forms.CheckboxSelectMultiple)
    service = forms.ChoiceField(label=_("Service"), widget=forms.RadioSelect)
    other_service = forms.ChoiceField(label=_("Another service of the directory"),
                                      required=False)
    note = _text(_("Note for the institution"), rows=4)

    def __init__(self, *args: Any, needs: Sequence[tuple[str, StrOrPromise]],
                 services: Sequence[tuple[str, str]],
                 other_services: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choose("need", [("", _("Choose…")), *needs])
        self._choose("service", [*services, (self.OTHER, _("Another service"))])
        self._choose("other_service", [("", _("Choose…")), *other_services])

    def _choose(self, name: str, choices: Sequence[tuple[str, StrOrPromise]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared just above
        field.choices = list(choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("service") == self.OTHER and not data.get("other_service"):
            self.add_error("other_service", str(_("Choose the other service.")))
        return data

    def chosen_service(self) -> str:
        service = str(self.cleaned_data["service"])
        return str(self.cleaned_data["other_service"]) if service == self.OTHER else service
