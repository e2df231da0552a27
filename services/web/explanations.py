"""Routing's reasons in the reader's language.

`referrals.routing` gives each rule and score component a stable `code` and its values
(`params`) beside the English `detail` the API shows; here each code has a gettext template,
filled with the values written the reader's way (target groups, education levels and languages
by their names, dates and numbers by the locale). A ranking kept from before the codes existed,
or a code this module does not know, keeps its English words rather than showing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from services.web import labels

Template = str | Promise

RULES: Mapping[str, Template] = {
    "target_group.open": gettext_lazy("The service is open to every group."),
    "target_group.match": gettext_lazy(
        "The client belongs to: %(client_groups)s; the service serves: %(served)s."),
    "target_group.no_match": gettext_lazy(
        "The service serves only: %(served)s; the client belongs to: %(client_groups)s."),
    "age.no_limit": gettext_lazy("The client is %(age)s; the service has no age limit."),
    "age.between": gettext_lazy(
        "The client is %(age)s; the service takes ages %(minimum)s to %(maximum)s."),
    "age.minimum": gettext_lazy(
        "The client is %(age)s; the service takes ages %(minimum)s and over."),
    "age.maximum": gettext_lazy(
        "The client is %(age)s; the service takes ages up to %(maximum)s."),
    "education.none": gettext_lazy("The service asks for no minimum education."),
    "education.not_recorded": gettext_lazy(
        "The client’s education is not recorded; the service requires %(minimum)s or higher."),
    "education.compared": gettext_lazy(
        "The client has %(client_level)s; the service requires %(minimum)s or higher."),
    "language.none": gettext_lazy("The service has no language requirement."),
    "language.shared": gettext_lazy(
        "The client speaks %(shared)s; the service is offered in %(offered)s."),
    "language.not_offered": gettext_lazy(
        "The service is offered only in %(offered)s; the client speaks %(client_languages)s."),
    "capacity.untracked": gettext_lazy("Seats are not counted; the service counts as open."),
    "capacity.waiting_list": gettext_lazy(
        "No free seats; the waiting list is open (people waiting: %(waiting)s)."),
    "capacity.closed": gettext_lazy("No free seats, and the waiting list is closed."),
}

COMPONENTS: Mapping[str, Template] = {
    "distance.local": gettext_lazy(
        "Has a location in the client’s municipality (%(municipality)s)."),
    "distance.unknown": gettext_lazy("The distance is unknown."),
    "distance.unknown_online": gettext_lazy("The distance is unknown; offered online."),
    "distance.km": gettext_lazy("%(km)s km away."),
    "distance.km_online": gettext_lazy("%(km)s km away, but offered online."),
    "seats.untracked": gettext_lazy("Seats are not counted; a neutral score."),
    "seats.waiting_list_only": gettext_lazy("No free seats; only the waiting list."),
    "seats.free_share": gettext_lazy(
        "Free seats: %(available)s of %(total)s (%(percent)s%%)."),
    "waiting.free": gettext_lazy("Not full; %(intake)s. Expected wait: %(wait)s."),
    "waiting.full": gettext_lazy(
        "Full, people waiting: %(queue)s; %(intake)s. Expected wait: about %(wait)s."),
    "record.none": gettext_lazy("No referrals answered yet; a neutral score."),
    "record.history": gettext_lazy(
        "Accepted %(accepted)s of %(answered)s answered, completed %(completed)s of "
        "%(finished)s finished; %(speed)s (evened out with %(prior)s neutral referrals)."),
}

_FREE_SEATS = gettext_lazy("Free seats: %(available)s.")
_FREE_SEATS_OF = gettext_lazy("Free seats: %(available)s of %(total)s.")


def _names(values: Any, names: Mapping[str, labels.Label] | Mapping[str, str]) -> str:
    codes = [str(code) for code in values or ()]
    if not codes:
        return _("none")
    return ", ".join(str(names.get(code, code)) for code in codes)


def _number(value: Any) -> str:
    return number_format(value) if isinstance(value, int | float) else str(value)


def _day(value: Any) -> str:
    try:
        return date_format(date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except ValueError:
        return str(value)


def _days(count: int) -> str:
    return ngettext("%(count)s day", "%(count)s days", count) % {"count": _number(count)}


def _intake(params: Mapping[str, Any]) -> str:
    kind = params.get("intake")
    when = _day(params.get("intake_date"))
    if kind == "future":
        in_days = int(params.get("in_days") or 0)
        return ngettext("next intake on %(date)s (in %(count)s day)",
                        "next intake on %(date)s (in %(count)s days)", in_days) % {
            "date": when, "count": _number(in_days)}
    if kind == "past":
        return _("intake open since %(date)s") % {"date": when}
    if kind == "today":
        return _("next intake today")
    return _("next intake date unknown")


def _values(params: Mapping[str, Any]) -> dict[str, str]:
    """Every value ready for its template: names for codes, the locale's digits and dates."""
    shown: dict[str, str] = {}
    for name, value in params.items():
        if name in ("client_groups", "served"):
            shown[name] = _names(value, labels.TARGET_GROUPS)
        elif name in ("client_level", "minimum") and isinstance(value, str):
            shown[name] = str(labels.label(labels.EDUCATION_LEVELS, value))
        elif name in ("shared", "offered", "client_languages"):
            shown[name] = _names(value, labels.SPOKEN_LANGUAGES)
        else:
            shown[name] = _number(value)
    if "intake" in params:
        shown["intake"] = _intake(params)
        shown["wait"] = _days(int(params.get("days") or 0))
    if "median_hours" in params:
        hours = params.get("median_hours")
        shown["speed"] = (_("answer time unknown") if hours is None
                          else _("median answer time %(hours)s h") % {"hours": _number(hours)})
    return shown


def _said(templates: Mapping[str, Template], reason: Mapping[str, Any]) -> str | None:
    code = str(reason.get("code") or "")
    params = reason.get("params")
    if not isinstance(params, Mapping):
        return None
    template: Template | None = templates.get(code)
    if code in ("capacity.free", "seats.free"):
        template = _FREE_SEATS if params.get("total") is None else _FREE_SEATS_OF
    if template is None:
        return None
    try:
        return str(template) % _values(params)
    except (KeyError, TypeError, ValueError):  # values of another shape than the code's
        return None


def _explainer(templates: Mapping[str, Template]) -> Callable[[Mapping[str, Any]], str]:
    def explain(reason: Mapping[str, Any]) -> str:
        return _said(templates, reason) or str(reason.get("detail", ""))

    return explain


#: A rule's reason (`RuleResult.explanation()`) in the reader's language.
rule_reason = _explainer(RULES)
#: A score component's reason (`ScoreComponent.explanation()`) in the reader's language.
component_reason = _explainer(COMPONENTS)
