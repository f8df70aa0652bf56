import logging
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from uuid import UUID

import regex
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.dateparse import parse_date, parse_datetime

from orders.deadlines import DeadlineWindow
from orders.models import FieldType, RequirementDefinition, Status
from orders.selectors.order_list import DEFAULT_SORT, SORTS
from orders.selectors.order_page import RequirementSummary

logger = logging.getLogger("orders.forms")

# The types Telnyx's spec lists for sub number orders.
NUMBER_TYPES = ["local", "mobile", "national", "toll_free", "shared_cost", "landline"]


def _yes_no(value: str) -> bool:
    return value == "yes"


class OrderFilterForm(forms.Form):
    """The order list's filters, read from the query string. Field names are the keyword
    arguments of `selectors.order_list.order_list`; a field that fails validation is left out."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Order id, reference or phone number",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    requirements_met = forms.TypedChoiceField(
        label="Requirements met",
        choices=[("", "Any"), ("yes", "Yes"), ("no", "No")],
        coerce=_yes_no,
        empty_value=None,
        required=False,
    )
    country = forms.CharField(
        required=False,
        max_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", "Enter a two-letter country code, e.g. CH.")],
        widget=forms.TextInput(attrs={"placeholder": "CH", "size": 3, "autocomplete": "off"}),
    )
    number_type = forms.ChoiceField(
        label="Number type",
        choices=[("", "Any type"), *((t, t.replace("_", " ")) for t in NUMBER_TYPES)],
        required=False,
    )
    created_from = forms.DateField(
        label="Created from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label="Created to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    deadline = forms.ChoiceField(
        choices=[("", "Any deadline"), *DeadlineWindow.choices], required=False
    )
    sort = forms.ChoiceField(
        choices=[(key, key) for key in SORTS], required=False, widget=forms.HiddenInput
    )

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_sort(self) -> str:
        return self.cleaned_data["sort"] or DEFAULT_SORT

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", "Must be on or after “Created from”.")
        return cleaned


CUSTOMER_REFERENCE = "customer_reference"


def requirement_field_name(requirement_id: UUID) -> str:
    return f"requirement_{requirement_id.hex}"


# Telnyx's `regex` criteria are matched with the regex package, which can give up: on some
# values a pattern such as (a+)+$ backtracks for minutes. A value whose match gives up is left
# for Telnyx to judge, as is a pattern Python cannot read: Telnyx checks every value it is
# sent, and places its refusal next to the field.
PATTERN_TIMEOUT = 0.1  # seconds
# regex writes counted repeats out when compiling ((?:a{1000}){1000} is a million items, which
# takes seconds; larger ones crash it) and recurses into nested groups: patterns past these
# limits are not compiled either.
PATTERN_SIZE = 10_000
PATTERN_DEPTH = 100
_COUNT = re.compile(r"\{(\d+)(?:,\d*)?\}")


def _set_end(pattern: str, start: int) -> int:
    """Where the `]` closing the character set opened at `start` is."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i


def _too_costly(pattern: str) -> bool:
    """Whether regex would compile `pattern` to over PATTERN_SIZE items (a count repeats what
    precedes it: nested counts multiply) or nest its groups deeper than PATTERN_DEPTH."""
    if len(pattern) > PATTERN_SIZE:
        return True
    sizes = [0]  # of each open group so far
    last = 0  # the size of what a count would repeat
    i = 0
    while i < len(pattern):
        char = pattern[i]
        count = _COUNT.match(pattern, i) if char == "{" else None
        if count:
            times = max(int(count[1]) if len(count[1]) < 10 else 10**9, 1)
            sizes[-1] += last * (times - 1)
            last *= times
            i = count.end()
            continue
        if char == "(":
            sizes.append(0)
            if len(sizes) > PATTERN_DEPTH:
                return True
        elif char == ")" and len(sizes) > 1:
            last = sizes.pop()
            sizes[-1] += last
        else:
            if char == "\\":
                i += 1
            elif char == "[":
                i = _set_end(pattern, i)
            last = 1
            sizes[-1] += 1
        i += 1
    return sum(sizes) > PATTERN_SIZE


def _compiled(pattern: object) -> regex.Pattern | None:
    """Telnyx's pattern, or None when it is left to Telnyx to check."""
    if not isinstance(pattern, str) or not pattern or _too_costly(pattern):
        return None
    try:
        return regex.compile(pattern)
    except (regex.error, RecursionError, OverflowError, ValueError):
        return None


def _textual_validators(criteria: Mapping) -> list:
    """What Telnyx's acceptance criteria say of a text value, checked before it is sent.
    Lengths are the field's own min_length/max_length."""
    validators = []
    pattern = criteria.get("regex")
    compiled = _compiled(pattern)
    if compiled is not None:

        def matches(value: str) -> None:
            try:
                found = compiled.fullmatch(value, timeout=PATTERN_TIMEOUT)
            except TimeoutError:
                logger.warning("pattern %.100r gave up on a value: left to Telnyx", pattern)
                return
            if not found:
                raise ValidationError(
                    "Does not match the format Telnyx expects (%(pattern)s).",
                    params={"pattern": pattern},
                )

        validators.append(matches)
    fold = (lambda text: text) if criteria.get("case_sensitive", True) else str.casefold
    acceptable = criteria.get("acceptable_values")
    if isinstance(acceptable, list) and acceptable:
        allowed = {fold(str(value)) for value in acceptable}

        def one_of(value: str) -> None:
            if fold(value) not in allowed:
                raise ValidationError(
                    "Must be one of: %(values)s.",
                    params={"values": ", ".join(map(str, acceptable))},
                )

        validators.append(one_of)
    characters = criteria.get("acceptable_characters")
    if isinstance(characters, str) and characters:
        allowed_characters = set(fold(characters))

        def only_characters(value: str) -> None:
            if not set(fold(value)) <= allowed_characters:
                raise ValidationError(
                    "Use only these characters: %(characters)s.", params={"characters": characters}
                )

        validators.append(only_characters)
    return validators


def _length(criteria: Mapping, key: str) -> int | None:
    value = criteria.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class _KeepsCurrent(forms.Field):
    """A requirement's input. The value Telnyx holds, sent back as the form showed it, is no
    change and is not checked: it may break criteria Telnyx has changed since, and must not
    block the changes made beside it."""

    def has_changed(self, initial: object, data: object) -> bool:
        shown = self.widget.format_value(self.prepare_value(initial))
        if (data or "") == (shown or ""):
            return False
        return super().has_changed(initial, data)

    def clean(self, value: object) -> object:
        if not self.has_changed(self.initial, value):
            return self.initial
        return super().clean(value)


class _TextField(_KeepsCurrent, forms.CharField):
    pass


class _IdField(_KeepsCurrent, forms.UUIDField):
    pass


# Telnyx numbers addresses (int64 written as a string); documents are UUIDs.
ADDRESS_ID = r"^[1-9][0-9]{0,18}$"


class _AddressIdField(_KeepsCurrent, forms.RegexField):
    def __init__(self, **kwargs) -> None:
        super().__init__(ADDRESS_ID, strip=True, **kwargs)


class _DateField(_KeepsCurrent, forms.DateField):
    pass


class _DateTimeField(_KeepsCurrent, forms.DateTimeField):
    pass


def _moment(text: str, parse: Callable[[str], date | datetime | None]) -> date | datetime | None:
    """`parse(text)`, or None for text that is no date, or no real one (2026-02-30)."""
    try:
        return parse(text)
    except ValueError:
        return None


def _date_shaped(text: str) -> bool:
    """A date without a time of day, real (2026-02-28) or not (2026-02-30)."""
    try:
        return parse_date(text) is not None
    except ValueError:
        return True


def _moment_field(summary: RequirementSummary, common: dict) -> forms.Field:
    """A date input unless the value Telnyx holds (or its example) has a time of day."""
    definition = summary.definition
    current = summary.current_value
    sample = current or (definition.example if definition else "")
    if not sample or _date_shaped(sample):
        field, parse, shape = _DateField, parse_date, "YYYY-MM-DD"
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    else:
        field, parse, shape = _DateTimeField, parse_datetime, "YYYY-MM-DDTHH:MM"
        widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    initial = _moment(current, parse) if current else None
    if current and initial is None:
        # Shown as Telnyx holds it (a date input would show nothing, and send nothing back).
        return field(
            initial=current,
            widget=forms.TextInput(attrs={"placeholder": shape}),
            help_text=f"Telnyx holds “{current}”, which is no real date: enter one as {shape}.",
            **common,
        )
    return field(initial=initial, widget=widget, **common)


def _requirement_field(summary: RequirementSummary) -> forms.Field:
    """The input that fits the requirement's field type, showing its current value."""
    definition = summary.definition
    criteria = definition.acceptance_criteria if definition else {}
    if not isinstance(criteria, Mapping):
        criteria = {}
    current = summary.current_value
    common = {"label": summary.label, "required": False}
    if summary.field_type == FieldType.ADDRESS:
        return _AddressIdField(
            initial=current or None,
            error_messages={"invalid": "Enter the id of an address record (digits only)."},
            widget=forms.TextInput(
                attrs={"placeholder": "1293384261075731499", "spellcheck": "false"}
            ),
            **common,
        )
    if summary.field_type == FieldType.DOCUMENT:
        try:
            initial = UUID(current) if current else None
        except ValueError:
            initial = None
        return _IdField(
            initial=initial,
            error_messages={"invalid": "Enter the id of a document record (a UUID)."},
            widget=forms.TextInput(
                attrs={"placeholder": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", "spellcheck": "false"}
            ),
            **common,
        )
    if summary.field_type == FieldType.DATETIME:
        return _moment_field(summary, common)
    return _TextField(
        initial=current,
        min_length=_length(criteria, "min_length"),
        max_length=_length(criteria, "max_length"),
        validators=_textual_validators(criteria),
        **common,
    )


def requirement_input(definition: RequirementDefinition) -> forms.Field:
    """The input for a new value of a requirement, empty (a bulk fix's value)."""
    return _requirement_field(
        RequirementSummary(
            requirement_id=definition.pk, field_type=definition.field_type, definition=definition
        )
    )


def telnyx_text(value: object) -> str:
    """A cleaned value as Telnyx takes it: ISO 8601 for moments, canonical text for ids."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return "" if value is None else str(value)


class RequirementsForm(forms.Form):
    """The "Fix requirements" form: the customer reference and one input per requirement of the
    order, checked against what Telnyx accepts. Only values that differ from the cached ones
    count as changes."""

    customer_reference = forms.CharField(label="Customer reference", required=False, max_length=255)

    def __init__(
        self,
        data: Mapping | None = None,
        *,
        requirements: list[RequirementSummary],
        customer_reference: str,
    ) -> None:
        super().__init__(data, initial={CUSTOMER_REFERENCE: customer_reference})
        self.requirements = requirements
        for summary in requirements:
            self.fields[requirement_field_name(summary.requirement_id)] = _requirement_field(
                summary
            )

    @property
    def requirement_fields(self) -> list[tuple[RequirementSummary, forms.BoundField]]:
        return [
            (summary, self[requirement_field_name(summary.requirement_id)])
            for summary in self.requirements
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        for summary in self.requirements:
            name = requirement_field_name(summary.requirement_id)
            # A value that failed its own checks is already reported (and not in `cleaned`).
            if name in self.changed_data and name in cleaned and cleaned[name] in (None, ""):
                self.add_error(
                    name,
                    "A requirement cannot be emptied: enter a new value or keep the old one.",
                )
        if not self.changed_data:
            raise ValidationError("Nothing was changed, so there is nothing to send to Telnyx.")
        return cleaned

    def customer_reference_change(self) -> str | None:
        """The new customer reference, or None when it was left as it was."""
        if CUSTOMER_REFERENCE in self.changed_data:
            return self.cleaned_data[CUSTOMER_REFERENCE]
        return None

    def requirement_changes(self) -> dict[UUID, str]:
        """Requirement id -> new value, for the changed requirements, in the form's order."""
        return {
            summary.requirement_id: telnyx_text(self.cleaned_data[name])
            for summary in self.requirements
            if (name := requirement_field_name(summary.requirement_id)) in self.changed_data
        }

    def add_upstream_errors(self, problems: Mapping[UUID | str, list[str]]) -> None:
        """Puts Telnyx's refusals next to the fields they name (keys: a requirement id or
        "customer_reference")."""
        for key, messages in problems.items():
            name = key if key == CUSTOMER_REFERENCE else requirement_field_name(key)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class CancelSubOrderForm(forms.Form):
    """Cancelling a pending sub order asks why: the answer goes into the audit trail."""

    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        help_text="Kept in the order's history.",
        widget=forms.Textarea(attrs={"rows": 3, "autofocus": True}),
    )


class ChangesForm(forms.Form):
    """An open page asking whether the orders it shows changed (views.order_changes)."""

    # A change token (selectors.freshness.change_token); 2**53 microseconds run to the year 2255.
    since = forms.IntegerField(min_value=0, max_value=2**53)
    order = forms.UUIDField(required=False)
