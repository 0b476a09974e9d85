"""Forms for sharing: with a person, a new link, a link's password, a drop."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from files.models import Link, Share
from files.sharing import grants
from files.uploads.forms import UploadForm


class ShareForm(forms.Form):
    recipient = forms.CharField(label="Username or email", max_length=254)
    role = forms.ChoiceField(choices=Share.Role.choices, initial=Share.Role.VIEWER)

    def __init__(self, *args: Any, folder: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not folder:
            # Only folders take an editor: a file has nothing inside to change.
            role = cast(forms.ChoiceField, self.fields["role"])
            role.choices = [(Share.Role.VIEWER, Share.Role.VIEWER.label)]

    def clean_recipient(self) -> User:
        return grants.find_recipient(self.cleaned_data["recipient"])


class LinkForm(forms.Form):
    label = forms.CharField(max_length=100, required=False)
    kind = forms.ChoiceField(choices=Link.Kind.choices, initial=Link.Kind.DOWNLOAD)
    expires = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Empty: never.",
    )
    password = forms.CharField(
        required=False, widget=forms.PasswordInput, strip=False, help_text="Empty: none."
    )
    download_limit = forms.IntegerField(
        required=False, min_value=1, help_text="Downloads allowed; empty: no limit."
    )

    def __init__(self, *args: Any, folder: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not folder:
            kind = cast(forms.ChoiceField, self.fields["kind"])
            kind.choices = [(Link.Kind.DOWNLOAD, Link.Kind.DOWNLOAD.label)]

    def clean_expires(self) -> Any:
        expires = self.cleaned_data["expires"]
        if expires is not None and expires <= timezone.now():
            raise ValidationError("Pick a time in the future.", code="expired")
        return expires


class UnlockForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


class DropForm(UploadForm):
    """The upload form with the dropper's name: the same name, size and quota rules.

    A visitor never replaces the owner's files: a taken name is always kept both ways.
    """

    on_conflict = None  # type: ignore[assignment]

    dropped_by = forms.CharField(
        label="Your name", max_length=100, required=False, help_text="Shown to the folder's owner."
    )
