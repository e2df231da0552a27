"""Words for the codes the records hold (states, actions, outcomes, needs, rules, channels...),
in the user's language. The codes and their rules live in intake and referrals; this module only
names them, and a test checks that every code has a name here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from referrals.workflow import Action, State
from services.auth.tokens import Principal, Role

if TYPE_CHECKING:  # django-stubs' lazy string type, which form fields take as a label
    from django_stubs_ext import StrOrPromise

    Label = StrOrPromise
else:
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

YES: Label = _("Yes")
NO: Label = _("No")

SEXES: Mapping[str, Label] = {
    "female": _("Female"),
    "male": _("Male"),
    "other": _("Other"),
}

# ISCED 2011 levels.
EDUCATION_LEVELS: Mapping[str, Label] = {
    "isced0": _("Early childhood education"),
    "isced1": _("Primary education"),
    "isced2": _("Lower secondary education"),
    "isced3": _("Upper secondary education"),
    "isced4": _("Post-secondary non-tertiary education"),
    "isced5": _("Short-cycle tertiary education"),
    "isced6": _("Bachelor’s or equivalent"),
    "isced7": _("Master’s or equivalent"),
    "isced8": _("Doctoral or equivalent"),
}

EMPLOYMENT: Mapping[str, Label] = {
    "employed": _("Employed"),
    "unemployed": _("Unemployed"),
    "self_employed": _("Self-employed"),
    "student": _("Student"),
    "inactive": _("Inactive"),
}

# ISCO-08 major groups.
OCCUPATIONS: Mapping[str, Label] = {
    "0": _("Armed forces occupations"),
    "1": _("Managers"),
    "2": _("Professionals"),
    "3": _("Technicians and associate professionals"),
    "4": _("Clerical support workers"),
    "5": _("Service and sales workers"),
    "6": _("Skilled agricultural, forestry and fishery workers"),
    "7": _("Craft and related trades workers"),
    "8": _("Plant and machine operators and assemblers"),
    "9": _("Elementary occupations"),
}

INTENTIONS: Mapping[str, Label] = {
    "labour": _("Labour migration"),
    "study": _("Study"),
    "family_reunion": _("Family reunion"),
    "none": _("None"),
    "undecided": _("Undecided"),
}

STAY_PURPOSES: Mapping[str, Label] = {
    "work": _("Work"),
    "asylum": _("Asylum"),
    "study": _("Study"),
    "family": _("Family"),
    "other": _("Other"),
}

PERMITS: Mapping[str, Label] = {
    "work_permit": _("Work permit holder"),
    "residence_permit": _("Residence permit holder"),
    "asylum_seeker": _("Asylum seeker"),
    "refugee": _("Recognised refugee or subsidiary protection"),
    "no_permit": _("No permit"),
    "other": _("Other"),
}

CONSENT_SCOPES: Mapping[str, Label] = {
    "service": _("Personal data for the services of the centre"),
    "service_referral": _("Also shared with referral partners"),
}

CENTRE_KINDS: Mapping[str, Label] = {
    "msc": _("Migrant Service Centre"),
    "counter": _("Migration counter in a regional employment office"),
}

# The groups a directory service may be reserved for (routing's codes).
TARGET_GROUPS: Mapping[str, Label] = {
    "returnees": _("Returnees"),
    "immigrants": _("Immigrants"),
    "youth": _("Youth (15–29)"),
    "unemployed": _("Unemployed"),
    "long_term_unemployed": _("Long-term unemployed"),
    "women": _("Women"),
}

SERVICE_STATUSES: Mapping[str, Label] = {
    "active": _("Active"),
    "inactive": _("Inactive"),
    "defunct": _("Defunct"),
    "temporarily closed": _("Temporarily closed"),
}

# What the audit log says someone did with personal data.
AUDIT_ACTIONS: Mapping[str, Label] = {
    "list": _("Saw in a list"),
    "read": _("Opened"),
    "create": _("Registered"),
    "update": _("Changed"),
    "erase": _("Erased"),
    "referral_list": _("Saw in the referral inbox"),
    "referral_read": _("Opened a referral"),
}

# The client record's fields, as forms and the audit log name them.
CLIENT_FIELDS: Mapping[str, Label] = {
    "given_name": _("Given name"),
    "family_name": _("Family name"),
    "sex": _("Sex"),
    "birth_year": _("Birth year"),
    "birth_date": _("Birth date"),
    "citizenship": _("Citizenship"),
    "category": _("Category"),
    "municipality_code": _("Municipality"),
    "urban": _("Urban or rural"),
    "education_level": _("Education"),
    "employment_status": _("Employment"),
    "occupation_isco": _("Occupation"),
    "migration_intention": _("Migration intention"),
    "preferred_destinations": _("Preferred destinations"),
    "permit_status": _("Permit status"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "address": _("Address"),
    "stays": _("Previous stays abroad"),
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
