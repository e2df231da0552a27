"""Template helpers: the words for record codes (`services.web.labels`) and a state badge."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from referrals.models import TaxonomyTerm
from services.web import labels

register = template.Library()


@register.simple_tag
def state_badge(state: str) -> SafeString:
    """A referral's state as a badge whose colour says open, good or bad."""
    return format_html('<span class="state state-{}">{}</span>', state,
                       labels.label(labels.STATES, state))


@register.simple_tag
def need_label(need: TaxonomyTerm) -> str:
    return str(labels.NEEDS.get(need.code, need.name))


@register.filter
def state_label(code: str) -> str:
    return str(labels.label(labels.STATES, code))


@register.filter
def action_label(code: str) -> str:
    return str(labels.label(labels.ACTIONS, code))


@register.filter
def outcome_label(code: str) -> str:
    return str(labels.label(labels.OUTCOMES, code))


@register.filter
def spoken_languages(codes: list[str]) -> str:
    return ", ".join(labels.SPOKEN_LANGUAGES.get(code, code) for code in codes)


@register.filter
def centre_kind(code: str) -> str:
    return str(labels.label(labels.CENTRE_KINDS, code))


@register.filter
def service_status(code: str) -> str:
    return str(labels.label(labels.SERVICE_STATUSES, code))


@register.filter
def yes_no(value: object) -> str:
    return str(labels.YES if value else labels.NO)
