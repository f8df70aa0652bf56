"""The "Fix requirements" form: one input per requirement of an order, fitting its field type
and checked against what Telnyx accepts, and the customer reference."""

from collections.abc import Callable, Mapping
from datetime import date, datetime
from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime

from orders.criteria import criteria_length, textual_validators
from orders.models import FieldType, RequirementDefinition
from orders.selectors.order_page import RequirementSummary
from orders.uploads import ACCEPT_ATTRIBUTE, Upload, checked_upload

CUSTOMER_REFERENCE = "customer_reference"


def requirement_field_name(requirement_id: UUID) -> str:
    return f"requirement_{requirement_id.hex}"


def upload_field_name(requirement_id: UUID) -> str:
    return f"upload_{requirement_id.hex}"


def search_field_name(requirement_id: UUID) -> str:
    """The picker's search box (not a field of the form: it sends nothing to Telnyx)."""
    return f"search_{requirement_id.hex}"


class _UploadField(forms.FileField):
    """A file for a document requirement, checked as Telnyx would check it."""

    def clean(self, data: object, initial: object = None) -> Upload | None:
        file = super().clean(data, initial)
        return checked_upload(file) if file else None


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


class _Picked(_KeepsCurrent):
    """A requirement picked from a list (radio buttons): no choice sent means no change, since
    a requirement's value cannot be emptied."""

    widget = forms.HiddenInput

    def has_changed(self, initial: object, data: object) -> bool:
        return data not in (None, "") and super().has_changed(initial, data)


class _DocumentIdField(_Picked, forms.UUIDField):
    pass


# Telnyx numbers addresses (int64 written as a string); documents are UUIDs.
ADDRESS_ID = r"^[1-9][0-9]{0,18}$"


class _AddressIdField(_Picked, forms.RegexField):
    def __init__(self, **kwargs) -> None:
        super().__init__(ADDRESS_ID, strip=True, **kwargs)

    def clean(self, value: object) -> object:
        cleaned = super().clean(value)
        # 19 digits may still be beyond int64, which Telnyx's ids are.
        if isinstance(cleaned, str) and cleaned and int(cleaned) >= 2**63:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return cleaned


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
            error_messages={"invalid": "Choose an address record: its id is a number."},
            **common,
        )
    if summary.field_type == FieldType.DOCUMENT:
        try:
            initial = UUID(current) if current else None
        except ValueError:
            initial = None
        return _DocumentIdField(
            initial=initial,
            error_messages={"invalid": "Choose a document record: its id is a UUID."},
            **common,
        )
    if summary.field_type == FieldType.DATETIME:
        return _moment_field(summary, common)
    return _TextField(
        initial=current,
        min_length=criteria_length(criteria, "min_length"),
        max_length=criteria_length(criteria, "max_length"),
        validators=textual_validators(criteria),
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
        files: Mapping | None = None,
        *,
        requirements: list[RequirementSummary],
        customer_reference: str,
        initial: Mapping | None = None,
    ) -> None:
        """`initial`: what to show instead of the cached values (a search or a new address
        made without JavaScript re-shows what was typed)."""
        super().__init__(
            data, files, initial={CUSTOMER_REFERENCE: customer_reference, **(initial or {})}
        )
        self.requirements = requirements
        self.pickers: Mapping = {}
        for summary in requirements:
            self.fields[requirement_field_name(summary.requirement_id)] = _requirement_field(
                summary
            )
            if summary.field_type == FieldType.DOCUMENT:
                self.fields[upload_field_name(summary.requirement_id)] = _UploadField(
                    label="Upload a new file",
                    required=False,
                    allow_empty_file=True,  # said so by checked_upload, in its words
                    widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
                )

    @property
    def requirement_fields(self) -> list[tuple]:
        """(requirement, its input, its picker, its upload input) in the form's order; the
        picker (set by the view in `pickers`) for address and document requirements, the upload
        input for document ones, None otherwise."""
        return [
            (
                summary,
                self[requirement_field_name(summary.requirement_id)],
                self.pickers.get(summary.requirement_id),
                self.upload_field(summary.requirement_id),
            )
            for summary in self.requirements
        ]

    def upload_field(self, requirement_id: UUID) -> forms.BoundField | None:
        """The file input of a document requirement; None for the other types."""
        name = upload_field_name(requirement_id)
        return self[name] if name in self.fields else None

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

    def uploads(self) -> dict[UUID, Upload]:
        """Requirement id -> the file chosen for it, for the document requirements given one."""
        return {
            summary.requirement_id: upload
            for summary in self.requirements
            if (upload := self.cleaned_data.get(upload_field_name(summary.requirement_id)))
        }

    def requirement_changes(self) -> dict[UUID, str]:
        """Requirement id -> new value, for the changed requirements, in the form's order;
        a requirement given a file is left to the upload (see uploads())."""
        uploads = self.uploads()
        return {
            summary.requirement_id: telnyx_text(self.cleaned_data[name])
            for summary in self.requirements
            if (name := requirement_field_name(summary.requirement_id)) in self.changed_data
            and summary.requirement_id not in uploads
        }

    def add_upstream_errors(self, problems: Mapping[UUID | str, list[str]]) -> None:
        """Puts Telnyx's refusals next to the fields they name (keys: a requirement id or
        "customer_reference")."""
        for key, messages in problems.items():
            name = key if key == CUSTOMER_REFERENCE else requirement_field_name(key)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
