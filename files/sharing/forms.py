"""Forms for sharing: with a person, a new link, a link's password, a drop."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from files.models import Link, Share, UploadedFile
from files.sharing import grants
from files.uploads import quota
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
        # Kept as typed: the one name of the recipient the owner's pages show.
        self.typed_recipient: str = self.cleaned_data["recipient"].strip()
        return grants.find_recipient(self.typed_recipient)


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
        # Read in the reader's zone (portal.timezones), and said so: a time
        # without its zone let a link at UTC+2 live two hours too long.
        zone = timezone.get_current_timezone_name()
        self.fields["expires"].help_text = f"In your time zone, {zone}. Empty: never."
        if not folder:
            kind = cast(forms.ChoiceField, self.fields["kind"])
            kind.choices = [(Link.Kind.DOWNLOAD, Link.Kind.DOWNLOAD.label)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == Link.Kind.DROP and cleaned.get("download_limit") is not None:
            # A drop sends nothing, so a download limit would mean nothing:
            # refused rather than quietly dropped (the table showed "0").
            self.add_error(
                "download_limit",
                ValidationError(
                    "A file-drop link sends no files: leave the download limit empty.",
                    code="limit_on_drop",
                ),
            )
        return cleaned

    def clean_expires(self) -> Any:
        expires = self.cleaned_data["expires"]
        if expires is not None and expires <= timezone.now():
            raise ValidationError("Pick a time in the future.", code="expired")
        return expires


class UnlockForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


def for_visitor(error: ValidationError) -> ValidationError:
    """The intake's refusal in words that tell a drop's sender nothing of the folder or its owner.

    A quota names the owner's quota and free space, a clash names what the
    folder holds: the sender learns only that the box is full, or that a
    name could not be placed. Errors about the sender's own file (its name,
    its size against the site's limit) pass as they are.
    """
    codes = {getattr(e, "code", None) for e in error.error_list}
    if "over_quota" in codes:
        return quota.worded_for_others(error, DROP_FULL)
    if "name_taken" in codes:
        return ValidationError(
            "This drop box cannot take a file of that name; rename it and send it again.",
            code="name_taken",
        )
    return error


DROP_FULL = "This drop box cannot take more files right now."


class DropForm(UploadForm):
    """The upload form with the dropper's name: the same name, size and quota rules.

    Its refusals are worded for a stranger (for_visitor):
    a full quota is "the box is full", never the owner's quota or free space.
    A visitor never replaces the owner's files: a taken name is always kept both ways.
    """

    on_conflict = None  # type: ignore[assignment]

    dropped_by = forms.CharField(
        label="Your name", max_length=100, required=False, help_text="Shown to the recipient."
    )

    def clean_file(self) -> list[UploadedFile]:
        try:
            return super().clean_file()
        except ValidationError as error:
            raise for_visitor(error) from None
