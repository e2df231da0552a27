"""Words for the codes the records hold (states, actions, outcomes, needs, rules, channels...),
in the user's language. The codes and their rules live in intake and referrals; this module only
names them, and a test checks that every code has a name here."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from referrals.workflow import Action, State
from services.auth.tokens import Principal, Role

Label = str | Promise

STATES: Mapping[str, Label] = {
    State.DRAFT: _("Draft"),
    State.SENT: _("Sent"),
    State.ACCEPTED: _("Accepted"),
    State.DECLINED: _("Declined"),
    State.IN_PROGRESS: _("In progress"),
    State.ON_HOLD: _("On hold"),
    State.COMPLETED: _("Completed"),
    State.NOT_COMPLETED: _("Not completed"),
    State.CANCELLED: _("Cancelled"),
    State.EXPIRED: _("Expired"),
}

# What a button says; the actions a person may take (the scheduler expires referrals itself).
ACTIONS: Mapping[str, Label] = {
    Action.SEND: _("Send"),
    Action.ACCEPT: _("Accept"),
    Action.DECLINE: _("Decline"),
    Action.START: _("Start"),
    Action.HOLD: _("Put on hold"),
    Action.COMPLETE: _("Complete"),
    Action.NOT_COMPLETE: _("Close as not completed"),
    Action.CANCEL: _("Cancel the referral"),
    Action.EXPIRE: _("Expire"),
}

OUTCOMES: Mapping[str, Label] = {
    "certificate": _("Certificate obtained"),
    "finished_without_certificate": _("Finished without a certificate"),
    "employed": _("Found a job"),
    "dropped_out": _("Dropped out"),
    "no_show": _("Did not come"),
    "other": _("Other"),
}

NEEDS: Mapping[str, Label] = {
    "skills:cv-job-search": _("CV writing and job search"),
    "skills:vocational-training": _("Vocational training"),
    "skills:language-course": _("Language course"),
    "skills:qualification-recognition": _("Recognition of qualifications"),
    "skills:entrepreneurship": _("Entrepreneurship support"),
    "skills:pre-departure-orientation": _("Pre-departure orientation"),
    "skills:reintegration": _("Reintegration support for returnees"),
}

RULES: Mapping[str, Label] = {
    "eligibility.target_group": _("Target group"),
    "eligibility.age": _("Age"),
    "eligibility.education": _("Education"),
    "language": _("Language"),
    "capacity": _("Free seats"),
}

COMPONENTS: Mapping[str, Label] = {
    "distance": _("Distance"),
    "capacity": _("Free seats"),
    "waiting": _("Waiting time"),
    "record": _("Track record"),
}

CHANNELS: Mapping[str, Label] = {
    "in_person": _("In person"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "online": _("Online"),
}

VISIT_SERVICES: Mapping[str, Label] = {
    "information": _("Information"),
    "counselling": _("Counselling"),
    "referral": _("Referral"),
}

TOPICS: Mapping[str, Label] = {
    "visas": _("Visas"),
    "work_permits": _("Work permits"),
    "social_security_health": _("Social security and health"),
    "labour_market": _("Labour market"),
    "study_scholarships": _("Study and scholarships"),
    "return": _("Return"),
    "pre_departure": _("Pre-departure orientation"),
    "other": _("Other"),
}

CATEGORIES: Mapping[str, Label] = {
    "national": _("National"),
    "returnee": _("Returnee"),
    "immigrant": _("Immigrant"),
}

ROLES: Mapping[str, Label] = {
    Role.COUNSELLOR: _("Counsellor"),
    Role.CENTRE_MANAGER: _("Centre manager"),
    Role.TENANT_ADMIN: _("Tenant administrator"),
    Role.PARTNER: _("Partner institution"),
    Role.REGIONAL_MONITOR: _("Regional office"),
}

# The languages a client may speak, in themselves (ISO 639-1, as referrals store them).
SPOKEN_LANGUAGES: Mapping[str, str] = {
    "sq": "shqip", "sr": "srpski / српски", "bs": "bosanski", "hr": "hrvatski",
    "mk": "македонски", "en": "English", "de": "Deutsch", "it": "italiano", "fr": "français",
    "tr": "Türkçe",
}


def label(labels: Mapping[str, Label], code: str) -> Label:
    """The word for a code; the code itself where a record holds one this module lacks."""
    return labels.get(code, code)


def role_label(principal: Principal) -> Label:
    """The principal's first role, in the order of `ROLES`."""
    return next((name for role, name in ROLES.items() if principal.has_role(role)), "")
