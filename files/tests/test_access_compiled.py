"""access.compiled_readable says what readable_files says, for every user and every file."""

from __future__ import annotations

import uuid
from contextlib import closing

from django.db import connection

from accounts.models import User
from files import access
from files.models import Share, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from portal import fastpath


def fetched(user: User, upload_id: uuid.UUID) -> UploadedFile | None:
    """The compiled rule's answer, run as the download fast path runs it (the driver's cursor)."""
    compiled = access.compiled_readable(staff=user.is_staff)
    connection.ensure_connection()
    with closing(connection.connection.cursor()) as cursor:
        row = fastpath.run(cursor, *compiled.statement(user.pk, upload_id)).fetchone()
    return None if row is None else compiled.file(row)


def compiled_says(user: User, upload_id: uuid.UUID) -> bool:
    return fetched(user, upload_id) is not None


def test_the_compiled_rule_agrees_with_readable_files_for_everyone(
    alice: User,
    bob: User,
    charlie: User,
    staff: User,
    make_file: MakeFile,
    make_folder: MakeFolder,
) -> None:
    shared = make_folder(alice, "Shared")
    grants.share(shared, bob, Share.Role.EDITOR)
    inner = make_folder(alice, "Inner", shared)
    sibling = make_folder(alice, "Shared2")  # its path starts like the shared one's
    private = make_folder(alice, "Private")
    files = [
        make_file(alice, "top.txt"),
        make_file(alice, "shared-file.txt"),
        make_file(alice, "in-shared.txt", folder=shared),
        make_file(alice, "deep.txt", folder=inner),
        make_file(alice, "sibling.txt", folder=sibling),
        make_file(alice, "private.txt", folder=private),
        make_file(bob, "bobs.txt"),
        make_file(charlie, "charlies.txt"),
    ]
    grants.share(files[1], bob)
    deleted = make_file(alice, "gone.txt")
    deleted_id = deleted.pk
    deleted.delete()
    ids = [upload.pk for upload in files] + [deleted_id, uuid.uuid4()]
    seen = {}
    for user in (alice, bob, charlie, staff):
        readable = set(access.readable_files(user).values_list("pk", flat=True))
        for upload_id in ids:
            assert compiled_says(user, upload_id) == (upload_id in readable), (user, upload_id)
        seen[user.username] = len(readable)
    # The table above is not trivially empty or full.
    assert seen == {"alice": 6, "bob": 4, "charlie": 1, "sam": 8}


def test_the_compiled_rule_returns_the_row_the_orm_would(alice: User, make_file: MakeFile) -> None:
    upload = make_file(alice, "notes.txt", b"hello")
    found = fetched(alice, upload.pk)
    assert isinstance(found, UploadedFile)
    orm = UploadedFile.objects.get(pk=upload.pk)
    for field in UploadedFile._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(orm, field.attname), field.name
