"""Topic contracts: one place, unique names, versioned event types, per-run prefixes."""

from __future__ import annotations

import re

from services.events.topics import CONTRACTS, contract_for, topic_name

_EVENT_TYPE = re.compile(r"^org\.msc(\.[a-z][a-z-]*)+\.v\d+$")


def test_names_are_unique() -> None:
    names = [contract.name for contract in CONTRACTS]
    assert len(names) == len(set(names))


def test_every_event_type_is_reverse_dns_with_a_version() -> None:
    for contract in CONTRACTS:
        assert contract.event_types, contract.name
        for event_type in contract.event_types:
            assert _EVENT_TYPE.match(event_type), event_type


def test_prefix_is_applied_and_contract_found_by_base_name() -> None:
    assert topic_name("msc.intake.visits", "test-abc.") == "test-abc.msc.intake.visits"
    assert contract_for("msc.intake.visits").partitions >= 1
