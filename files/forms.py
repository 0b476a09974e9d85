"""The rename form of a file, used by its page and by the admin."""

from __future__ import annotations

from django import forms

from files.models import UploadedFile
from files.uploads import intake


class RenameForm(forms.ModelForm):
    class Meta:
        model = UploadedFile
        fields = ["name"]

    def clean_name(self) -> str:
        return intake.check_name(self.cleaned_data["name"])
