"""Who sees which referrals: the sending tenant's staff, or the receiving institution's partners.

Row-level security already limits every query to the caller's tenant; these scopes add the second
wall: a partner sees only referrals sent (not drafts) to the organization named by the
`institution` attribute of their token, and nothing when the token names none.
"""

from __future__ import annotations

from django.db.models import QuerySet

from referrals.models import Notification, Organization, Referral
from referrals.workflow import State
from services.auth.tokens import Principal

# What a partner user sees of a referred client, through the API and the web pages alike; every
# read of them is in the audit log under these names.
PARTNER_FIELDS = ["given_name", "family_name", "phone", "email"]


def staff_referrals(principal: Principal) -> QuerySet[Referral]:
    """The referrals of the caller's tenant."""
    if principal.tenant is None:
        return Referral.objects.none()
    return Referral.objects.filter(tenant_id=principal.tenant)


def partner_referrals(principal: Principal) -> QuerySet[Referral]:
    """The referrals sent to the caller's institution.

    The institution's organization is looked up first, so the inbox query filters on the
    referral's own columns and walks the `referrals_inbox` index in page order.
    """
    if principal.tenant is None or not principal.institution:
        return Referral.objects.none()
    organizations = list(Organization.objects.filter(code=principal.institution)
                         .values_list("id", flat=True))
    return (Referral.objects.filter(tenant_id=principal.tenant,
                                    organization_id__in=organizations)
            .exclude(state=State.DRAFT))


def notifications_of(principal: Principal) -> QuerySet[Notification]:
    if principal.tenant is None:
        return Notification.objects.none()
    return Notification.objects.filter(tenant_id=principal.tenant,
                                       recipient_subject=principal.subject)
