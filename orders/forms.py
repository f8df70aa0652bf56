"""The list's filters, the cancel and change-poll forms, and a new address for a requirement.
The requirements form is in orders.requirement_forms."""

from django import forms
from django.core.validators import RegexValidator

from orders.deadlines import DeadlineWindow
from orders.models import Status
from orders.selectors.order_list import DEFAULT_SORT, SORTS

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

    def filters(self) -> dict:
        """What validated, as order_list's keyword arguments, sort included (call is_valid()
        first)."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


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


class AddressForm(forms.Form):
    """A new address for an address requirement: Telnyx's required fields, and the usual
    others. One per requirement in the requirements form (prefix `address-<requirement>`)."""

    # Inside the requirements form: a browser must not hold that form back for these.
    use_required_attribute = False

    business_name = forms.CharField(label="Business name", max_length=255)
    first_name = forms.CharField(label="First name", max_length=255)
    last_name = forms.CharField(label="Last name", max_length=255)
    street_address = forms.CharField(label="Street and number", max_length=255)
    extended_address = forms.CharField(label="Floor, suite", max_length=255, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=32, required=False)
    locality = forms.CharField(label="City", max_length=255)
    administrative_area = forms.CharField(label="Region", max_length=255, required=False)
    country_code = forms.CharField(
        label="Country",
        max_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", "Enter a two-letter country code, e.g. CH.")],
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "off"}),
    )
    customer_reference = forms.CharField(label="Customer reference", max_length=255, required=False)

    def clean_country_code(self) -> str:
        return self.cleaned_data["country_code"].upper()

    def add_upstream_errors(self, problems: dict[str, list[str]]) -> None:
        """Telnyx's refusals next to the fields they name ("" for the whole address)."""
        for name, messages in problems.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
