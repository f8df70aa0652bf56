"""The forms of the comment and requirement-group actions: they validate, nothing more."""

from django import forms

from orders.services.comments import MAX_BODY


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Reply to Telnyx",
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, ask for a deadline extension. Telnyx's reviewers read it.",
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if "\x00" in body:
            raise forms.ValidationError("The text holds a NUL character.")
        return body


class GroupAttachForm(forms.Form):
    # Telnyx's group ids are UUIDs, but the cache keeps them as text, as Telnyx may change that.
    requirement_group_id = forms.CharField(max_length=64)
