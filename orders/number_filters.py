"""The order page's numbers filter, as the query string gives it (shareable, works without JS)."""

from django import forms

from orders.models import Status
from orders.selectors.number_groups import NumberFilter, RequirementState


class NumberFilterForm(forms.Form):
    digits = forms.CharField(
        required=False,
        max_length=32,
        label="Number",
        widget=forms.TextInput(attrs={"type": "search", "inputmode": "tel"}),
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "any status"), *Status.choices], label="Status"
    )
    requirement = forms.ChoiceField(
        required=False,
        label="Requirement",
        choices=[
            ("", "any requirement"),
            (RequirementState.AWAITING, "awaiting a value"),
            (RequirementState.DECLINED, "declined"),
            (RequirementState.IN_REVIEW, "in review"),
            (RequirementState.APPROVED, "approved"),
        ],
    )

    def numbers_filter(self) -> NumberFilter:
        """What was asked; a field that does not validate filters nothing, as if left empty."""
        data = self.cleaned_data if self.is_valid() else {}
        requirement = data.get("requirement")
        return NumberFilter(
            digits="".join(ch for ch in data.get("digits", "") if ch.isdigit()),
            status=data.get("status", ""),
            requirement=RequirementState(requirement) if requirement else None,
        )
