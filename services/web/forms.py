"""The pages' forms. They only shape input (text trimmed, lengths bounded, choices offered);
whether a step is allowed and what it needs is decided by the service functions, whose
objections come back beside the field they concern (`add_service_objections`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from intake.models import Client
from intake.services import CLIENT_FIELDS
from referrals.workflow import OUTCOMES
from services.web import labels
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
    """A form whose every message comes from this app's catalogs.

    No `required` attributes: a missing field is named by the server beside the field, in the
    page's language and with the list of fields to correct, not by the browser's bubble (in the
    browser's language, gone at the next key)."""

    use_required_attribute = False

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

    # This form's words for the services' objections, by the service's field name.
    objections: Mapping[str, str | Promise] = {}

    def add_service_objections(self, fields: Mapping[str, Any],
                               names: Mapping[str, str] | None = None) -> None:
        """Show a service's ValidationError detail beside the fields it names."""
        for field, _detail in fields.items():
            target = (names or {}).get(field, field)
            message = self.objections.get(field) or SERVICE_OBJECTIONS.get(
                field, _("This value is not valid."))
            if target in self.fields and target in self.errors:
                continue  # one message beside a field is enough
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


def _choices(mapping: Mapping[str, StrOrPromise], *, blank: bool = False
             ) -> list[tuple[str, StrOrPromise]]:
    return [*([("", _("Choose…"))] if blank else []), *mapping.items()]


def codes(text: str) -> list[str]:
    """Country or language codes typed with commas or spaces, as the API takes them: "de, it"
    is ["DE", "IT"] (their validity is the API's to judge)."""
    return [code.upper() for code in re.split(r"[\s,;]+", text) if code]


class ContractForm(PageForm):
    """A form whose input is then checked by the API's own serializer for the same change, so
    the page accepts exactly what the API accepts; its objections come back beside the fields
    (`objections` says them in the user's words)."""

    def validated_by(self, contract: type[serializers.Serializer[Any]],
                     data: Mapping[str, Any], *, names: Mapping[str, str] | None = None
                     ) -> dict[str, Any] | None:
        payload = contract(data=dict(data))
        if payload.is_valid():
            return dict(payload.validated_data)
        self.add_service_objections(payload.errors, names)
        return None


class ConsentForm(PageForm):
    """Registration's first step: nothing personal is typed before the client has agreed."""

    agreed = forms.BooleanField(
        label=_("The client has agreed that the centre keeps their personal data"))
    scope = forms.ChoiceField(label=_("What the client agreed to"),
                              choices=_choices(labels.CONSENT_SCOPES), widget=forms.RadioSelect,
                              initial="service")


def _line(label: StrOrPromise, *, required: bool = True, max_length: int = 200,
          hint: StrOrPromise = "") -> forms.CharField:
    attrs: dict[str, StrOrPromise] = {"autocomplete": "off"}
    if hint:
        attrs["placeholder"] = hint  # lazy: said in the language of the page showing it
    return forms.CharField(label=label, required=required, max_length=max_length, strip=True,
                           widget=forms.TextInput(attrs=attrs))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


# A client's previous stays abroad as rows of the form: `stay-<row>-<part>`.
STAY_PARTS = ("country", "purpose", "year_from", "year_to")
STAY_ROWS_BLANK = 3  # empty rows offered; a stored record gets one more empty row than stays
MAX_STAY_ROWS = 20
_STAY_KEY = re.compile(r"^stay-(\d+)-(?:country|purpose|year_from|year_to)$")
STAY_OBJECTIONS: Mapping[str, str | Promise] = {
    "country": _("Give a two-letter country code, e.g. AL or DE."),
    "purpose": _("Choose one of the options."),
    "year_from": _("Give a year from 1900 to 2100."),
    "year_to": _("Give a year from 1900 to 2100."),
}


def stay_field(row: int, part: str) -> str:
    return f"stay-{row}-{part}"


def _stay_rows_in(data: Mapping[str, Any] | None) -> int:
    """How many stay rows the posted input (or initial values) has, within bounds."""
    rows = [int(found.group(1)) + 1 for key in (data or {})
            if (found := _STAY_KEY.match(str(key)))]
    return min(max([STAY_ROWS_BLANK, *rows]), MAX_STAY_ROWS)


class ClientForm(ContractForm):
    """A client's record, registered or changed (`intake.client_apis.ClientInputSerializer`
    judges it, as for the API)."""

    given_name = _line(labels.CLIENT_FIELDS["given_name"], max_length=100)
    family_name = _line(labels.CLIENT_FIELDS["family_name"], max_length=100)
    sex = forms.ChoiceField(label=labels.CLIENT_FIELDS["sex"], choices=_choices(labels.SEXES),
                            widget=forms.RadioSelect)
    birth_year = forms.IntegerField(label=labels.CLIENT_FIELDS["birth_year"],
                                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    birth_date = forms.DateField(label=labels.CLIENT_FIELDS["birth_date"], required=False,
                                 widget=DateInput())
    citizenship = _line(labels.CLIENT_FIELDS["citizenship"], max_length=2, hint="AL")
    category = forms.ChoiceField(label=labels.CLIENT_FIELDS["category"],
                                 choices=_choices(labels.CATEGORIES), widget=forms.RadioSelect)
    municipality_code = _line(labels.CLIENT_FIELDS["municipality_code"], max_length=20,
                              hint="AL-11")
    urban = forms.ChoiceField(label=labels.CLIENT_FIELDS["urban"], widget=forms.RadioSelect,
                              choices=[("true", _("Urban")), ("false", _("Rural"))])
    education_level = forms.ChoiceField(label=labels.CLIENT_FIELDS["education_level"],
                                        choices=_choices(labels.EDUCATION_LEVELS, blank=True))
    employment_status = forms.ChoiceField(label=labels.CLIENT_FIELDS["employment_status"],
                                          choices=_choices(labels.EMPLOYMENT, blank=True))
    occupation_isco = forms.ChoiceField(label=labels.CLIENT_FIELDS["occupation_isco"],
                                        required=False,
                                        choices=_choices(labels.OCCUPATIONS, blank=True))
    migration_intention = forms.ChoiceField(label=labels.CLIENT_FIELDS["migration_intention"],
                                            choices=_choices(labels.INTENTIONS, blank=True))
    preferred_destinations = _line(labels.CLIENT_FIELDS["preferred_destinations"],
                                   required=False, hint="DE, IT")
    permit_status = forms.ChoiceField(label=labels.CLIENT_FIELDS["permit_status"],
                                      required=False,
                                      choices=_choices(labels.PERMITS, blank=True))
    phone = _line(labels.CLIENT_FIELDS["phone"], required=False, max_length=40)
    email = _line(labels.CLIENT_FIELDS["email"], required=False)
    address = _line(labels.CLIENT_FIELDS["address"], required=False, max_length=300)
    # The version the user saw (changes only): a change based on an older one is refused.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    objections = {
        "birth_year": _("Give a year from 1900 to this year."),
        "birth_date": _("The birth date must fall in the birth year."),
        "citizenship": _("Give a two-letter country code, e.g. AL or DE."),
        "preferred_destinations": _("Give two-letter country codes, e.g. DE, IT."),
        "permit_status": _("Only immigrants have a permit status."),
        "email": _("Give an e-mail address, e.g. name@example.org."),
    }

    FIELDS = CLIENT_FIELDS  # the record's fields as the service sets them

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        # Previous stays abroad: rows of four fields, as many as the input has (at least three).
        self.stay_rows = _stay_rows_in(data if data is not None else kwargs.get("initial"))
        purposes = _choices(labels.STAY_PURPOSES, blank=True)
        for row in range(self.stay_rows):
            number = {"number": row + 1}
            self.fields[stay_field(row, "country")] = _line(
                gettext("Stay %(number)d: country") % number, required=False, max_length=2,
                hint="DE")
            self.fields[stay_field(row, "purpose")] = forms.ChoiceField(
                label=gettext("Stay %(number)d: purpose") % number, required=False,
                choices=purposes)
            for part, words in (("year_from", gettext("Stay %(number)d: from (year)")),
                                ("year_to", gettext("Stay %(number)d: to (year)"))):
                self.fields[stay_field(row, part)] = forms.IntegerField(
                    label=words % number, required=False,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
        for name in self.fields:  # the new fields' messages, too, from this app's catalogs
            self.fields[name].error_messages = {**self.fields[name].error_messages,
                                                **_MESSAGES}

    def stay_rows_shown(self) -> list[list[forms.BoundField]]:
        """The stay rows' fields, row by row, for the template."""
        return [[self[stay_field(row, part)] for part in STAY_PARTS]
                for row in range(self.stay_rows)]

    def _filled_stay_rows(self) -> list[int]:
        data = self.cleaned_data
        return [row for row in range(self.stay_rows)
                if any(data.get(stay_field(row, part)) not in (None, "")
                       for part in STAY_PARTS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for row in self._filled_stay_rows():  # a row begun needs its country and purpose
            for part in ("country", "purpose"):
                name = stay_field(row, part)
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, str(_MESSAGES["required"]))
        return data

    def add_service_objections(self, fields: Mapping[str, Any],
                               names: Mapping[str, str] | None = None) -> None:
        """A stay's objections go beside the field of its own row."""
        rest = dict(fields)
        stays = rest.pop("stays", None)
        # DRF gives a list's objections by position, as a list or (newer) a dict.
        by_position = (dict(enumerate(stays)) if isinstance(stays, list)
                       else stays if isinstance(stays, Mapping) else None)
        if by_position is not None:
            filled = self._filled_stay_rows()
            for position, problems in by_position.items():
                if not isinstance(position, int) or not 0 <= position < len(filled):
                    continue
                row = filled[position]
                for part in problems if isinstance(problems, Mapping) else ():
                    name = stay_field(row, part)
                    if name in self.fields and name not in self.errors:
                        self.add_error(name, str(STAY_OBJECTIONS.get(
                            part, _("This value is not valid."))))
        elif stays is not None:
            rest["stays"] = stays
        super().add_service_objections(rest, names)

    def contract_data(self) -> dict[str, Any]:
        """The cleaned input in the API's shape (`ClientInputSerializer`)."""
        data = self.cleaned_data
        shaped = {name: data[name] for name in self.FIELDS}
        shaped["citizenship"] = str(data["citizenship"]).upper()
        shaped["urban"] = data["urban"] == "true"
        shaped["birth_date"] = data["birth_date"].isoformat() if data["birth_date"] else None
        shaped["preferred_destinations"] = codes(data["preferred_destinations"])
        shaped["stays"] = [
            {"country": str(data[stay_field(row, "country")]).upper(),
             "purpose": data[stay_field(row, "purpose")],
             "year_from": data[stay_field(row, "year_from")],
             "year_to": data[stay_field(row, "year_to")]}
            for row in self._filled_stay_rows()]
        return shaped

    @staticmethod
    def initial_of(record: Client) -> dict[str, Any]:
        """A stored client as the form's initial values (one empty stay row more than stays)."""
        initial = {name: getattr(record, name) for name in ClientForm.FIELDS}
        initial["urban"] = "true" if record.urban else "false"
        initial["preferred_destinations"] = ", ".join(record.preferred_destinations)
        initial["version"] = record.version
        stays = list(record.stays.all())
        for row, stay in enumerate(stays):
            for part in STAY_PARTS:
                initial[stay_field(row, part)] = getattr(stay, part)
        for part in STAY_PARTS:  # an empty row after the stays, so one more can be added
            initial.setdefault(stay_field(len(stays), part), "")
        return initial


class VisitForm(ContractForm):
    """A visit in under a minute: the centre and the time are filled in, the rest is clicks."""

    centre_id = forms.ChoiceField(label=_("Centre"))
    occurred_at = forms.DateTimeField(label=_("When"), widget=DateTimeInput())
    channel = forms.ChoiceField(label=_("Channel"), choices=_choices(labels.CHANNELS),
                                widget=forms.RadioSelect, initial="in_person")
    services = forms.MultipleChoiceField(label=_("Services given"),
                                         choices=_choices(labels.VISIT_SERVICES),
                                         widget=forms.CheckboxSelectMultiple)
    topics = forms.MultipleChoiceField(label=_("Topics"), required=False,
                                       choices=_choices(labels.TOPICS),
                                       widget=forms.CheckboxSelectMultiple)
    destinations_discussed = _line(_("Destinations discussed"), required=False, hint="DE, IT")
    note = _text(_("Note"), rows=2)

    objections = {
        "centre_id": _("Choose an active centre of your service."),
        "destinations_discussed": _("Give two-letter country codes, e.g. DE, IT."),
        "services": _("Tick at least one service."),
    }

    def __init__(self, *args: Any, centres: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "visit-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["centre_id"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared just above
        field.choices = list(centres)

    def contract_data(self, client_id: str) -> dict[str, Any]:
        data = self.cleaned_data
        return {"client_id": client_id, "centre_id": data["centre_id"],
                "occurred_at": data["occurred_at"].isoformat(), "channel": data["channel"],
                "services": list(data["services"]), "topics": list(data["topics"]),
                "destinations_discussed": codes(data["destinations_discussed"]),
                "note": data["note"]}


class VisitCorrectionForm(VisitForm):
    """A recorded visit corrected, based on the version the user saw
    (`intake.visit_apis.VisitCorrectionSerializer` judges it, as for the API)."""

    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    objections = {
        **VisitForm.objections,
        "non_field_errors": _("Nothing was changed: correct a value first."),
    }

    FIELDS = ("centre_id", "occurred_at", "channel", "services", "topics",
              "destinations_discussed", "note")


class CentreForm(ContractForm):
    """A centre of the tenant, opened or changed (`intake.apis.CentreInputSerializer`)."""

    name = _line(_("Name of the centre"))
    municipality_code = _line(labels.CLIENT_FIELDS["municipality_code"], max_length=20,
                              hint="AL-11")
    kind = forms.ChoiceField(label=_("Kind"), choices=_choices(labels.CENTRE_KINDS))
    active = forms.BooleanField(label=_("Open: visits can be recorded here"), required=False,
                                initial=True)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    objections = {"name": _("Your service has a centre with this name already.")}
    FIELDS = ("name", "municipality_code", "kind", "active")

    def contract_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class GroupSessionForm(ContractForm):
    """A group session of one centre and who attended, ticked from the centre's clients."""

    topic = _line(_("Topic"))
    held_at = forms.DateTimeField(label=_("When"), widget=DateTimeInput())
    facilitators = _line(_("Facilitators"), required=False,
                         hint=_("names, separated by commas"))
    partner_institution = _line(_("Partner institution"), required=False)
    attendee_ids = forms.MultipleChoiceField(label=_("Who attended"),
                                             widget=forms.CheckboxSelectMultiple)

    objections = {
        "attendee_ids": _("Tick who attended."),
        "centre_id": _("Choose an active centre of your service."),
    }

    def __init__(self, *args: Any, clients: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attendee_ids"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared just above
        field.choices = list(clients)

    def contract_data(self, centre_id: str) -> dict[str, Any]:
        data = self.cleaned_data
        return {"centre_id": centre_id, "topic": data["topic"],
                "held_at": data["held_at"].isoformat(),
                "facilitators": [name.strip() for name in data["facilitators"].split(",")
                                 if name.strip()],
                "partner_institution": data["partner_institution"],
                "attendee_ids": list(data["attendee_ids"])}


class AuditFilterForm(PageForm):
    """Which entries of the audit log to show; every field may stay empty."""

    actor = forms.ChoiceField(label=_("User"), required=False)
    client = _line(_("Client: name or number"), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, actors: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["actor"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared just above
        field.choices = [("", _("Everyone")), *((name, name) for name in actors)]


class MonthInput(forms.TextInput):
    input_type = "month"


_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
LONGEST_MONTHS = 60  # the statistics answer for at most five years


def _month_of(text: str) -> date | None:
    found = _MONTH.match(text)
    if not found or not 1 <= int(found.group(2)) <= 12:  # noqa: PLR2004 - months of a year
        return None
    year = int(found.group(1))
    return date(year, int(found.group(2)), 1) if FIRST_YEAR <= year <= LAST_YEAR else None


class PeriodForm(PageForm):
    """The period of a centre's figures: a quarter ("2026Q4"), or whole months from and to
    ("2026-01" to "2026-06"); the statistics withhold small cells only over whole months."""

    quarter = _line(_("Quarter"), required=False, max_length=10, hint="2026Q4")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # `from` and `to` as the statistics API calls them (Python keywords, so set here).
        self.fields["from"] = forms.CharField(label=_("From month"), required=False,
                                              widget=MonthInput())
        self.fields["to"] = forms.CharField(label=_("To month"), required=False,
                                            widget=MonthInput())
        for field in self.fields.values():
            field.error_messages = {**field.error_messages, **_MESSAGES}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = str(data.get("from") or "").strip(), str(data.get("to") or "").strip()
        if first or last:
            start, end = _month_of(first), _month_of(last)
            for name, text, month in (("from", first, start), ("to", last, end)):
                if month is None:
                    self.add_error(name, str(_("Give a month, e.g. 2026-01.") if text
                                             else _MESSAGES["required"]))
            if start is not None and end is not None:
                months = (end.year - start.year) * 12 + end.month - start.month
                if months < 0:
                    self.add_error("to", str(_("The last month cannot be before the first.")))
                elif months >= LONGEST_MONTHS:
                    self.add_error("to", str(_("Choose at most five years.")))
                else:
                    data["period"] = (start, end)
        elif data.get("quarter"):
            found = _QUARTER.match(str(data["quarter"]))
            year = int(found.group(1)) if found else 0
            if found is None or not FIRST_YEAR <= year <= LAST_YEAR:
                self.add_error("quarter", str(_("Give a quarter, e.g. 2026Q4.")))
            else:
                last_month = 3 * int(found.group(2))
                data["period"] = (date(year, last_month - 2, 1), date(year, last_month, 1))
        return data

    def months(self) -> tuple[date, date] | None:
        """The first days of the first and the last month asked for; None if none was (or
        what was asked is not a period)."""
        if not self.is_valid():
            return None
        period = self.cleaned_data.get("period")
        return period if isinstance(period, tuple) else None


class EraseForm(PageForm):
    """Erasure's confirmation: the client's name typed again, so no slip erases someone."""

    confirmation = _line(_("Type the client’s full name to confirm"))


class ServiceForm(ContractForm):
    """A directory service's capacity and eligibility (`referrals.directory_apis.
    ServiceChangeSerializer` judges it, as for the API)."""

    status = forms.ChoiceField(label=_("Status"), choices=_choices(labels.SERVICE_STATUSES))
    seats_total = forms.IntegerField(label=_("Seats in all"), required=False)
    seats_available = forms.IntegerField(label=_("Free seats"), required=False)
    waiting_list_open = forms.BooleanField(label=_("The waiting list is open"), required=False)
    waiting_list_length = forms.IntegerField(label=_("People on the waiting list"))
    next_intake_date = forms.DateField(label=_("Next intake"), required=False,
                                       widget=DateInput())
    minimum_age = forms.IntegerField(label=_("Minimum age"), required=False)
    maximum_age = forms.IntegerField(label=_("Maximum age"), required=False)
    minimum_education = forms.ChoiceField(
        label=_("Minimum education"), required=False,
        choices=[("", _("None")), *labels.EDUCATION_LEVELS.items()])
    target_groups = forms.MultipleChoiceField(
        label=_("Only for"), required=False, choices=_choices(labels.TARGET_GROUPS),
        widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(
        label=_("Languages it is offered in"), required=False,
        choices=list(SPOKEN_LANGUAGES.items()), widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    objections = {
        "seats_total": _("Give a whole number, 0 or more."),
        "seats_available": _("There cannot be more free seats than seats in all."),
        "waiting_list_length": _("Give a whole number, 0 or more."),
        "minimum_age": _("The minimum age cannot be above the maximum age."),
        "maximum_age": _("Give an age from 0 to 130."),
    }
    FIELDS = ("status", "seats_total", "seats_available", "waiting_list_open",
              "waiting_list_length", "next_intake_date", "minimum_age", "maximum_age",
              "minimum_education", "target_groups", "languages")

    def __init__(self, *args: Any, spoken: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["languages"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared just above
        known = dict(SPOKEN_LANGUAGES)
        field.choices = [*known.items(), *((code, code) for code in spoken if code not in known)]

    def contract_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.FIELDS}
        data["next_intake_date"] = (data["next_intake_date"].isoformat()
                                    if data["next_intake_date"] else None)
        return data


class PackageForm(PageForm):
    """An HSDS data package to import: the JSON file or the zip of CSV files the export gives."""

    package = forms.FileField(label=_("HSDS package: a JSON file, or a zip of CSV files"))


class RoutingSettingsForm(ContractForm):
    """The tenant's routing weights and referral deadline
    (`referrals.directory_apis.RoutingSettingsSerializer` judges them, as for the API)."""

    weight_distance = forms.FloatField(label=_("Distance"), localize=True)
    weight_capacity = forms.FloatField(label=_("Free seats"), localize=True)
    weight_waiting = forms.FloatField(label=_("Waiting time"), localize=True)
    weight_record = forms.FloatField(label=_("Track record"), localize=True)
    answer_working_days = forms.IntegerField(label=_("Working days a partner has to answer"))
    holidays = forms.CharField(
        label=_("Holidays: one date a line"), required=False,
        widget=forms.Textarea(attrs={"rows": 6}))
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    objections = {
        "weights": _("At least one weight must be above zero, and none below zero."),
        "weight_distance": _("Give a number, 0 or more."),
        "weight_capacity": _("Give a number, 0 or more."),
        "weight_waiting": _("Give a number, 0 or more."),
        "weight_record": _("Give a number, 0 or more."),
        "answer_working_days": _("Give a number of working days from 1 to 60."),
        "holidays": _("Give at most 400 holidays."),
    }
    WEIGHTS = ("weight_distance", "weight_capacity", "weight_waiting", "weight_record")

    def clean_holidays(self) -> list[date]:
        """Each line a date, as the user's language writes dates or as YYYY-MM-DD."""
        days: list[date] = []
        wrong: list[str] = []
        reader = forms.DateField()
        for line in str(self.cleaned_data.get("holidays") or "").splitlines():
            if not line.strip():
                continue
            try:
                days.append(reader.clean(line.strip()))
            except forms.ValidationError:
                wrong.append(line.strip())
        if wrong:
            raise forms.ValidationError(
                _("Not a date: %(lines)s. Write one date a line, e.g. 2026-12-25."),
                params={"lines": ", ".join(wrong)})
        return days

    def contract_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in (*self.WEIGHTS,
                                                            "answer_working_days")}
        data["holidays"] = [day.isoformat() for day in self.cleaned_data["holidays"]]
        return data
