"""Folder forms: a folder's name, and where to move a folder or a selection of files.

The rules (names, cycles, what an editor may move where) live in
files.folders.tree and files.access; a form only offers the allowed choices
and carries the rules' ValidationErrors to the right field.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from files import access
from files.folders import tree
from files.models import Folder, UploadedFile

TOP_LEVEL = ""  # the `target` choice meaning "no folder"


class FolderNameForm(forms.Form):
    name = forms.CharField(label="Folder name", max_length=255)

    def clean_name(self) -> str:
        return tree.check_folder_name(self.cleaned_data["name"])


class FolderChoiceField(forms.ChoiceField):
    """A folder of one owner, labelled with its whole path; the empty choice is the top level."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(label="Move to", required=False, **kwargs)
        self.folders: dict[str, Folder] = {}

    def offer(
        self,
        user: User | AnonymousUser,
        owner: User,
        at: Folder | None,
        exclude: Folder | None = None,
    ) -> None:
        """Offer where `user` may move something of `owner`'s from `at`, leaving out `exclude`.

        The owner gets their whole tree and the top level; an editor the folders
        of the share holding `at`, and no top level: tree.check_move decides.
        """
        path = at.path if at else None
        labelled = [
            (folder, label)
            for folder, label in tree.folder_choices(
                owner, only=access.move_targets(user, owner.pk, path)
            )
            if exclude is None or not folder.path.startswith(exclude.path)
        ]
        self._set(labelled, top_level=owner.pk == user.pk)

    def offer_writable(self, user: User) -> None:
        """Accept any folder `user` may add to: a POST whose items are not known yet.

        tree.move_files then checks the target against each item's place.
        """
        self._set([(f, f.name) for f in access.writable_folders(user)], top_level=True)

    def _set(self, labelled: list[tuple[Folder, str]], *, top_level: bool) -> None:
        self.folders = {str(folder.pk): folder for folder, _ in labelled}
        top = [(TOP_LEVEL, "Top level")] if top_level else []
        self.choices = [*top, *((str(f.pk), label) for f, label in labelled)]

    def clean(self, value: Any) -> Folder | None:
        value = super().clean(value)
        return self.folders[value] if value else None


def target_field(form: forms.Form) -> FolderChoiceField:
    return cast(FolderChoiceField, form.fields["target"])


class MoveFolderForm(forms.Form):
    target = FolderChoiceField()

    def __init__(
        self, *args: Any, folder: Folder, user: User | AnonymousUser, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.folder = folder
        # A folder can go neither into itself nor below itself; tree.move_folder
        # refuses that too, for a request that does not come from this form.
        target_field(self).offer(user, folder.owner, folder, exclude=folder)


class MoveFilesForm(forms.Form):
    """A selection of files and folders `user` may change and the folder they go to.

    With `owner` and `at` (a page showing `owner`'s folder `at`) it offers where
    things from there may go; without them (the POST) it accepts any folder
    `user` may add to, and tree.move_files checks each file's place.
    """

    # Not `files`: a form already has an attribute of that name (its uploads).
    selected = forms.ModelMultipleChoiceField(queryset=UploadedFile.objects.none(), required=False)
    selected_folders = forms.ModelMultipleChoiceField(
        queryset=Folder.objects.none(), required=False
    )
    target = FolderChoiceField()

    def __init__(
        self,
        *args: Any,
        user: User,
        owner: User | None = None,
        at: Folder | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        selected = cast(forms.ModelMultipleChoiceField, self.fields["selected"])
        # A forged id of a file `user` may not change is "not one of the available choices".
        selected.queryset = access.writable_files(user).only("pk", "name")
        # A folder as the list's row menu would move it: renaming and moving rights alike.
        folders = cast(forms.ModelMultipleChoiceField, self.fields["selected_folders"])
        folders.queryset = access.movable_folders(user)
        if owner is None:
            target_field(self).offer_writable(user)
        else:
            target_field(self).offer(user, owner, at)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("selected") and not cleaned.get("selected_folders"):
            raise forms.ValidationError(
                "Choose at least one file or folder to move.", code="required"
            )
        return cleaned
