from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User
from accounts.tokens import MAX_EXPIRES_DAYS


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["username", "email"]


class TokenForm(forms.Form):
    """A new personal access token; accounts.tokens.create_token() checks the name is free."""

    name = forms.CharField(
        max_length=100, help_text="Say where it is used, e.g. “laptop rclone” or “backup script”."
    )
    read_only = forms.BooleanField(
        required=False, label="Read-only", help_text="It may read and download, never change."
    )
    expires_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_EXPIRES_DAYS,
        label="Expires after (days)",
        help_text="Empty: never.",
        # A text box that phones open with digits: it looks like the other fields.
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


class CodeForm(forms.Form):
    """A code from the authenticator app, or (where `recovery` allows) a recovery code."""

    code = forms.CharField(
        max_length=32,
        label="Code",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
                "autocapitalize": "off",
            }
        ),
    )

    def __init__(self, *args: object, recovery: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["code"]
        if recovery:
            field.help_text = "The 6 digits your authenticator app shows, or a recovery code."
            field.widget.attrs["inputmode"] = "text"
        else:
            field.help_text = "The 6 digits your authenticator app shows now."
