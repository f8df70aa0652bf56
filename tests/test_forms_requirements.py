"""The "Fix requirements" form against what Telnyx may hold or send: patterns that backtrack
for minutes or cannot be read."""

import time
import uuid

import pytest
from django.utils import timezone

from orders.forms import RequirementsForm, requirement_field_name
from orders.models import RequirementDefinition
from orders.selectors import RequirementSummary

REFERENCE = "REF-1"


def summary_of(field_type: str, current: str = "", **criteria) -> RequirementSummary:
    definition = RequirementDefinition(
        id=uuid.uuid4(),
        label="Some requirement",
        field_type=field_type,
        example="2026-01-31" if field_type == "datetime" else "",
        acceptance_criteria=criteria,
        synced_at=timezone.now(),
    )
    return RequirementSummary(
        requirement_id=definition.id,
        field_type=field_type,
        definition=definition,
        values=[current],
    )


def form_for(summary: RequirementSummary, value: str | None = None, **data) -> RequirementsForm:
    """The form as posted: the customer reference and the requirement as typed (`value`,
    or its current value when None), then `data`."""
    posted = {
        "customer_reference": REFERENCE,
        requirement_field_name(summary.requirement_id): (
            summary.current_value if value is None else value
        ),
    }
    return RequirementsForm(posted | data, requirements=[summary], customer_reference=REFERENCE)


def errors_of(form: RequirementsForm, summary: RequirementSummary) -> list[str]:
    return form.errors.get(requirement_field_name(summary.requirement_id), [])


# Telnyx's patterns


def test_pattern_that_backtracks_exponentially_answers_within_a_second():
    summary = summary_of("textual", regex="(a+)+$")
    form = form_for(summary, "a" * 28 + "!")

    started = time.monotonic()
    valid = form.is_valid()

    assert time.monotonic() - started < 1
    assert not valid
    assert errors_of(form, summary) == ["Does not match the format Telnyx expects ((a+)+$)."]


def test_value_whose_match_gives_up_is_left_for_telnyx_to_judge():
    summary = summary_of("textual", regex="(a|a)+$")
    value = "a" * 24 + "!"
    form = form_for(summary, value)

    started = time.monotonic()
    valid = form.is_valid()

    assert time.monotonic() - started < 1
    assert valid
    assert form.requirement_changes() == {summary.requirement_id: value}


@pytest.mark.parametrize(
    "pattern",
    [
        "(",
        "[z-a]",
        "a{99999999999}",
        "(" * 500 + "a" + ")" * 500,
        "(?:" * 300 + "a" + ")*" * 300,
        "(?:(?:a{1000}){1000}){1000}",
        "(?:(?:ab)|(?:cd)){1000000}",
        "a" * 1_000_000,
        42,
        ["a"],
    ],
    ids=[
        "unclosed",
        "bad-range",
        "huge-count",
        "deep-groups",
        "deep-repeats",
        "nested-counts",
        "crashing-count",
        "megabyte",
        "number",
        "list",
    ],
)
def test_pattern_python_cannot_use_is_left_for_telnyx_to_judge(pattern):
    summary = summary_of("textual", regex=pattern)

    started = time.monotonic()
    form = form_for(summary, "anything")
    valid = form.is_valid()

    assert time.monotonic() - started < 1
    assert valid
    assert form.requirement_changes() == {summary.requirement_id: "anything"}


def test_criteria_that_are_not_an_object_check_nothing():
    summary = summary_of("textual")
    summary.definition.acceptance_criteria = ["min_length", 5]

    form = form_for(summary, "x")

    assert form.is_valid()


def test_pattern_still_refuses_a_value_it_does_not_match():
    summary = summary_of("textual", regex=r"^CHE-\d{3}\.\d{3}\.\d{3}$")

    form = form_for(summary, "CHE-12")

    assert errors_of(form, summary) == [
        r"Does not match the format Telnyx expects (^CHE-\d{3}\.\d{3}\.\d{3}$)."
    ]
