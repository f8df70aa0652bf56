"""The bulk fix page's forms: the queue group it was linked with, and the value and orders."""

from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError

from orders.forms import NUMBER_TYPES
from orders.models import RequirementDefinition
from orders.requirement_forms import requirement_input, telnyx_text


class BulkFixGroupForm(forms.Form):
    """The queue group, from the query string the queue page links to the bulk fix page with."""

    customer_reference = forms.CharField(required=False, max_length=255, strip=False)
    country = forms.RegexField(r"^[A-Z]{2}$")
    number_type = forms.ChoiceField(choices=[(kind, kind) for kind in NUMBER_TYPES])
    requirement = forms.ModelChoiceField(queryset=RequirementDefinition.objects.all())


class BulkFixForm(forms.Form):
    """The value to send and the orders of the group to send it to (all of them at first)."""

    orders = forms.TypedMultipleChoiceField(
        coerce=UUID,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one order."},
    )

    def __init__(
        self,
        data=None,
        *,
        requirement: RequirementDefinition,
        order_ids: list[UUID],
    ) -> None:
        super().__init__(data)
        choices = [(str(order_id), str(order_id)) for order_id in order_ids]
        self.fields["orders"].choices = choices
        self.fields["orders"].initial = [value for value, _ in choices]
        self.fields["value"] = requirement_input(requirement)
        self.fields["value"].label = f"New value for “{requirement.label}”"

    def clean_value(self) -> str:
        text = telnyx_text(self.cleaned_data.get("value"))
        if not text:
            raise ValidationError("Enter the value to send.")
        return text
