"""The queue's filters, read from the query string."""

from django import forms

from orders.deadlines import DeadlineWindow
from orders.forms import OrderFilterForm
from orders.models import RequirementDefinition
from orders.selectors.queue import DEFAULT_SORT, SORTS

SORT_LABELS = {
    "deadline": "Nearest deadline first",
    "-deadline": "Latest deadline first",
    "-numbers": "Most numbers first",
}


class QueueFilterForm(forms.Form):
    """Field names are the keyword arguments of `selectors.queue.queue_groups`; a field that
    fails validation is left out. A group's GET parameters (QueueGroup.params) fill it."""

    customer_reference = forms.CharField(
        label="Customer reference",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    # The order list's, with its check and its placeholder.
    country = OrderFilterForm.base_fields["country"]
    number_type = OrderFilterForm.base_fields["number_type"]
    requirement = forms.ModelChoiceField(
        queryset=RequirementDefinition.objects.order_by("label").only("id", "label"),
        required=False,
        empty_label="Any requirement",
        to_field_name="id",
    )
    deadline = forms.ChoiceField(
        choices=[("", "Any deadline"), *DeadlineWindow.choices], required=False
    )
    declined_only = forms.BooleanField(label="Declined only", required=False)
    sort = forms.ChoiceField(choices=list(SORT_LABELS.items()), required=False)

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_requirement(self):
        definition = self.cleaned_data["requirement"]
        return definition.id if definition else None

    def chosen_sort(self) -> str:
        """The sort asked for, or the default one (call is_valid() first)."""
        sort = self.cleaned_data.get("sort")
        return sort if sort in SORTS else DEFAULT_SORT

    def filters(self) -> dict:
        """What validated, for the selectors (call is_valid() first)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "", False) and name != "sort"
        }
