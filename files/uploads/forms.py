"""The upload form: one or several incoming files for an owner, checked by the intake rules.

The rules themselves (names, sizes, quota) live in files.uploads.intake; the
form only carries their ValidationErrors to the right field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile as Upload

from accounts.models import User
from files.folders import tree
from files.models import UploadedFile
from files.uploads import intake, quota


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes one or several files and cleans each of them."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Upload]:
        if not data:
            return [super().clean(data, initial)]  # raises "required"
        if not isinstance(data, list | tuple):
            data = [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in data]


class UploadForm(forms.Form):
    """One or several incoming files for `owner`, as Django's docs do it: a plain form.

    The view stores them with intake.store_uploads(); the quota check here
    only answers early, the one that counts runs again under a lock there.
    """

    # An empty file is still a file (a placeholder, a lock file): store it.
    file = MultipleFileField(label="Files", allow_empty_file=True)
    # Sent by the script-driven uploader for a file of a dropped folder: the
    # folders between the target and the file ("holiday/day 1").
    directory = forms.CharField(required=False, max_length=4096, widget=forms.HiddenInput)
    # A file of the same name in the folder: keep both (the new one numbered) or
    # replace its bytes (the previous ones are kept as a version).
    on_conflict = forms.ChoiceField(
        label="When a file of the same name is there",
        choices=[
            (intake.KEEP_BOTH, "Keep both"),
            (intake.REPLACE, "Replace it (keep it as a version)"),
        ],
        initial=intake.KEEP_BOTH,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args: Any, owner: User, uploader: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        # An editor filling someone else's folder: told the folder is full, not the quota.
        self.for_others = uploader is not None and uploader.pk != owner.pk

    def clean_file(self) -> list[UploadedFile]:
        incoming: list[Upload] = self.cleaned_data["file"]
        accepted = [intake.accept_incoming(one) for one in incoming]
        try:
            intake.check_quota(self.owner, sum(f.size for f in accepted), make_room=False)
        except ValidationError as error:
            raise (quota.worded_for_others(error) if self.for_others else error) from None
        return accepted

    def clean_on_conflict(self) -> str:
        return self.cleaned_data["on_conflict"] or intake.KEEP_BOTH

    def clean_directory(self) -> list[str]:
        parts = [part for part in self.cleaned_data["directory"].split("/") if part.strip()]
        return [tree.check_folder_name(part) for part in parts]
