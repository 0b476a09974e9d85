from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile as Upload
from django.template.defaultfilters import filesizeformat

from files import services
from files.filenames import clean_filename
from files.models import UploadedFile


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


class UploadForm(forms.ModelForm):
    """Validates one or several uploads for `instance.owner`.

    The instance this form wraps only carries the owner: `save()` creates one
    UploadedFile per file, all or none.
    """

    # An empty file is still a file (a placeholder, a lock file): store it.
    file = MultipleFileField(label="Files", allow_empty_file=True)

    class Meta:
        model = UploadedFile
        fields = ["file"]

    def clean_file(self) -> list[UploadedFile]:
        uploads: list[Upload] = self.cleaned_data["file"]
        described = [self._describe(upload) for upload in uploads]
        services.check_quota(self.instance.owner, sum(f.size for f in described))
        return described

    def _describe(self, upload: Upload) -> UploadedFile:
        name = clean_filename(upload.name or "")
        if not name:
            raise ValidationError("A file needs a name.", code="bad_name")
        size, limit = upload.size or 0, settings.PORTAL_MAX_UPLOAD_SIZE
        if size > limit:
            raise ValidationError(
                "%(name)s is %(size)s; the largest file allowed is %(limit)s.",
                code="too_large",
                params={
                    "name": name,
                    "size": filesizeformat(size),
                    "limit": filesizeformat(limit),
                },
            )
        return services.describe_upload(upload, name)

    def save(self, commit: bool = True) -> list[UploadedFile]:
        return services.store_uploads(self.instance.owner, self.cleaned_data["file"])


class RenameForm(forms.ModelForm):
    class Meta:
        model = UploadedFile
        fields = ["name"]

    def clean_name(self) -> str:
        name = clean_filename(self.cleaned_data["name"])
        if not name:
            raise ValidationError("A file needs a name.", code="bad_name")
        return name
