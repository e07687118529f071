"""Lifecycle of contracts and products: allowed transitions; no edit of an active version without a bump."""

from __future__ import annotations

import pytest

from quanta.governance import check_lifecycle, check_transition
from quanta.governance.lifecycle import STATUSES, TRANSITIONS


@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_every_transition(old, new):
    problem = check_transition(old, new)
    allowed = old == new or new in TRANSITIONS[old]
    assert (problem is None) == allowed
    if problem:
        assert problem.code == "lifecycle.transition" and f"from {old} to {new}" in problem.message


def test_the_named_rules():
    assert check_transition("retired", "active") is not None
    assert check_transition("active", "draft") is not None
    assert check_transition("active", "retired") is not None  # deprecate first, so consumers are warned
    assert check_transition("deprecated", "retired") is None
    assert check_transition(None, "active") is None
    assert check_transition("draft", "live").code == "lifecycle.unknown-status"


def contract(**changes):
    data = {"id": "c", "version": "1.2.0", "status": "active", "schema": [{"name": "t", "properties": []}]}
    data.update(changes)
    return data


def test_no_edit_of_an_active_version_without_a_bump():
    edited = contract(schema=[{"name": "t", "properties": [{"name": "x"}]}])
    (problem,) = check_lifecycle(contract(), edited)
    assert problem.code == "lifecycle.edit-without-bump" and problem.path == "version"
    assert check_lifecycle(contract(), {**edited, "version": "1.3.0"}) == []
    # A status change alone is a transition, not an edit; a draft may be edited in place.
    assert check_lifecycle(contract(), contract(status="deprecated")) == []
    assert check_lifecycle(contract(status="draft"), contract(status="draft", schema=[])) == []


def test_a_new_major_version_starts_a_new_lifecycle():
    assert check_lifecycle(contract(status="retired"), contract(version="2.0.0", status="draft")) == []
    (problem,) = check_lifecycle(contract(status="retired"), contract(version="1.3.0", status="draft"))
    assert problem.code == "lifecycle.transition"


def test_first_version_needs_a_known_status():
    assert check_lifecycle(None, contract()) == []
    assert check_lifecycle(None, contract(status="shipping"))[0].code == "lifecycle.unknown-status"


def test_a_major_change_notice_says_what_changed_and_until_when_the_old_version_lives():
    from quanta.governance import major_change_notice

    old = contract(
        slaProperties=[
            {"property": "endOfSupport", "value": "2027-01-01T00:00:00Z"},
            {"property": "endOfLife", "value": "2027-06-30T00:00:00Z"},
        ],
        schema=[{"name": "t", "properties": [{"name": "a"}, {"name": "b"}]}],
    )
    minor = {
        **old,
        "version": "1.3.0",
        "schema": [{"name": "t", "properties": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}],
    }
    assert major_change_notice(old, minor) is None
    major = {**old, "version": "2.0.0", "schema": [{"name": "t", "properties": [{"name": "a"}]}]}
    notice = major_change_notice(old, major)
    assert (notice.old_version, notice.new_version) == ("1.2.0", "2.0.0")
    assert (notice.end_of_support, notice.end_of_life) == ("2027-01-01T00:00:00Z", "2027-06-30T00:00:00Z")
    assert [c.path for c in notice.changes] == ["schema[0].properties[1]"]
    assert notice.affects("1.0.0") and notice.affects("1.2.0") and not notice.affects("2.0.0")
    event = notice.to_event()
    assert event["type"] == "contract.major_change" and event["changes"][0]["kind"] == "removed"
