"""The "Fix requirements" form against what Telnyx may hold or send: patterns that backtrack
for minutes or cannot be read, dates that do not exist, and current values that break
criteria which changed since they were accepted."""

import time
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import RequirementDefinition
from orders.requirement_forms import RequirementsForm, requirement_field_name
from orders.selectors.order_page import RequirementSummary

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


# Dates Telnyx holds that do not exist


@pytest.mark.parametrize(
    ("current", "shape"),
    [
        ("2026-02-30", "YYYY-MM-DD"),
        ("2026-02-30T10:00:00Z", "YYYY-MM-DDTHH:MM"),
        ("soon", "YYYY-MM-DDTHH:MM"),
    ],
    ids=["date", "date-time", "not-a-date"],
)
def test_impossible_date_is_shown_as_telnyx_holds_it_with_a_note(current, shape):
    summary = summary_of("datetime", current)

    form = RequirementsForm(requirements=[summary], customer_reference=REFERENCE)

    [(_, field, _, _)] = form.requirement_fields
    html = str(field)
    assert f'value="{current}"' in html
    assert 'type="text"' in html
    assert field.help_text.startswith(f"Telnyx holds “{current}”, which is no real date")
    assert shape in field.help_text


def test_untouched_impossible_date_does_not_block_other_changes():
    summary = summary_of("datetime", "2026-02-30")

    form = form_for(summary, customer_reference="NEW-REF")

    assert form.is_valid(), form.errors
    assert form.customer_reference_change() == "NEW-REF"
    assert form.requirement_changes() == {}


def test_impossible_date_replaced_by_a_real_one_is_sent():
    summary = summary_of("datetime", "2026-02-30")

    form = form_for(summary, "2026-03-02")

    assert form.is_valid(), form.errors
    assert form.requirement_changes() == {summary.requirement_id: "2026-03-02"}


def test_impossible_date_replaced_by_another_is_refused():
    summary = summary_of("datetime", "2026-02-30")

    form = form_for(summary, "2026-02-31")

    assert errors_of(form, summary) == ["Enter a valid date."]


def test_order_page_shows_an_impossible_date_rather_than_failing(manager_client, order_factory):
    definition = RequirementDefinition.objects.create(
        id=uuid.uuid4(),
        label="Date of incorporation",
        field_type="datetime",
        example="2020-01-31",
        synced_at=timezone.now(),
    )
    order = order_factory(definitions=[definition], field_value="2026-02-30")

    response = manager_client.get(reverse("order_detail", args=[order.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    name = requirement_field_name(definition.id)
    assert f'name="{name}" value="2026-02-30"' in body
    assert f'id="id_{name}_helptext">Telnyx holds “2026-02-30”, which is no real date' in body


# Current values that break the criteria


def test_untouched_value_breaking_its_criteria_does_not_block_other_changes():
    summary = summary_of("textual", "ab", min_length=5, regex=r"^\d+$")

    form = form_for(summary, customer_reference="NEW-REF")

    assert form.is_valid(), form.errors
    assert form.customer_reference_change() == "NEW-REF"
    assert form.requirement_changes() == {}


def test_changed_value_is_checked_against_the_criteria():
    summary = summary_of("textual", "ab", min_length=5)

    form = form_for(summary, "xyz")

    assert errors_of(form, summary) == ["Ensure this value has at least 5 characters (it has 3)."]


def test_untouched_date_time_with_seconds_is_no_change():
    # The input shows minutes only, and sends them back.
    summary = summary_of("datetime", "2026-03-01T10:00:30Z")

    form = form_for(summary, "2026-03-01T10:00", customer_reference="NEW-REF")

    assert form.is_valid(), form.errors
    assert form.requirement_changes() == {}
