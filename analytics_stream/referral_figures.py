"""The referral figures of a period, computed from referral records: what was sent, how the
institutions answered, how referrals ended, and how the routing's first suggestion fared.

Pure, like `analytics_stream.figures`: records in, figures out, no database or clock; so the live
statistics and the tests share one definition.

Definitions (a referral belongs to the period in which it was *sent*; a draft never counts):
- sent: every referral sent in the period, whatever its state now.
- accepted: the institution answered and did not decline, i.e. the referral reached `accepted`
  and may have moved on since (in progress, on hold, completed, not completed, or cancelled by
  the sender after acceptance).
- declined, completed, not_completed, cancelled, expired: referrals in that state now (cancelled
  counts cancellations before and after an answer).
- waiting: still `sent`, with no answer yet.
- median hours to answer: over the answered referrals (accepted or declined), the hours from
  sending to the answer; expired referrals were never answered and are not in it.
- top suggestion: the chosen service was the routing's first suggestion (rank 1); every other
  referral (chosen further down the list, or outside it) is "other".
- completion rate: completed among the referrals that have ended (declined, completed, not
  completed, cancelled or expired); open referrals are not judged yet.
- clients: distinct clients (pseudonym within a tenant) behind a group of referrals; the count
  small-cell suppression looks at.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from analytics_stream.figures import Share
from referrals.workflow import TERMINAL, State

# The counts of every group, in the order the API and the report show them.
COUNTS = ("sent", "accepted", "declined", "completed", "not_completed", "cancelled", "expired",
          "waiting")

Client = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ReferralRecord:
    """One sent referral as it stands now (what the latest `ReferralChanged` carries)."""

    tenant_id: str
    referral_id: str
    client_pseudonym: str
    organization_id: str
    organization_name: str
    need: str
    state: str
    sent_at: datetime
    answered_at: datetime | None
    suggestion_rank: int | None

    @property
    def client(self) -> Client:
        return (self.tenant_id, self.client_pseudonym)

    @property
    def accepted(self) -> bool:
        return self.answered_at is not None and self.state != State.DECLINED

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL

    @property
    def hours_to_answer(self) -> float | None:
        if self.answered_at is None:
            return None
        return (self.answered_at - self.sent_at).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class ReferralCounts:
    """The figures of one group of referrals: the whole view, a tenant, an institution, a need.

    `clients` are the people behind the group (kept as a set so that suppression can tell how
    many several groups describe together); `answered_clients` those behind the median.
    """

    key: str
    name: str
    clients: frozenset[Client]
    sent: int
    accepted: int
    declined: int
    completed: int
    not_completed: int
    cancelled: int
    expired: int
    waiting: int
    answered_clients: int
    median_hours_to_answer: float | None


@dataclass(frozen=True, slots=True)
class Completion:
    """The referrals of one routing choice, and how many of those that ended were completed."""

    referrals: int
    completed: Share
    ended_clients: int


@dataclass(frozen=True, slots=True)
class ReferralFigures:
    """Every referral figure of a period and scope; groups ordered most sent first."""

    total: ReferralCounts
    by_tenant: tuple[ReferralCounts, ...]
    by_institution: tuple[ReferralCounts, ...]
    by_need: tuple[ReferralCounts, ...]
    top_suggestion: Completion
    other_choice: Completion


def referral_counts(key: str, name: str, records: Sequence[ReferralRecord]) -> ReferralCounts:
    """The figures of `records`, one group."""
    def in_state(state: State) -> int:
        return sum(r.state == state for r in records)

    hours = [h for r in records if (h := r.hours_to_answer) is not None]
    return ReferralCounts(
        key=key, name=name, clients=frozenset(r.client for r in records), sent=len(records),
        accepted=sum(r.accepted for r in records), declined=in_state(State.DECLINED),
        completed=in_state(State.COMPLETED), not_completed=in_state(State.NOT_COMPLETED),
        cancelled=in_state(State.CANCELLED), expired=in_state(State.EXPIRED),
        waiting=in_state(State.SENT),
        answered_clients=len({r.client for r in records if r.answered_at is not None}),
        median_hours_to_answer=float(statistics.median(hours)) if hours else None)


def _grouped(records: Sequence[ReferralRecord], key: Callable[[ReferralRecord], str],
             name: Callable[[ReferralRecord], str],
             always: Iterable[str] = ()) -> tuple[ReferralCounts, ...]:
    """One group per key (those in `always` even when empty), most sent first, ties by key.

    A group's name is the one on its most recently sent referral (an institution may be renamed).
    """
    groups: dict[str, list[ReferralRecord]] = {k: [] for k in always}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    counted = [
        referral_counts(k, name(max(rs, key=lambda r: (r.sent_at, r.referral_id))) if rs else k,
                        rs)
        for k, rs in groups.items()]
    return tuple(sorted(counted, key=lambda c: (-c.sent, c.key)))


def _completion(records: Sequence[ReferralRecord]) -> Completion:
    ended = [r for r in records if r.ended]
    return Completion(
        referrals=len(records),
        completed=Share(sum(r.state == State.COMPLETED for r in ended), len(ended)),
        ended_clients=len({r.client for r in ended}))


def referral_figures(records: Iterable[ReferralRecord], *,
                     tenants: Sequence[str] = ()) -> ReferralFigures:
    """The figures of the referrals sent in one period; every tenant in `tenants` gets a row."""
    listed = list(records)
    return ReferralFigures(
        total=referral_counts("", "", listed),
        by_tenant=_grouped(listed, lambda r: r.tenant_id, lambda r: r.tenant_id, tenants),
        by_institution=_grouped(listed, lambda r: r.organization_id,
                                lambda r: r.organization_name),
        by_need=_grouped(listed, lambda r: r.need, lambda r: r.need),
        top_suggestion=_completion([r for r in listed if r.suggestion_rank == 1]),
        other_choice=_completion([r for r in listed if r.suggestion_rank != 1]),
    )
