"""File names unique per place, ignoring case, as folder names are (0002).

Before this, two files in one folder (or at one owner's top level) could
share a name. Such duplicates are renamed first, so that the constraints
apply to any database: the oldest keeps its name, the later ones become
"name (1).ext", "name (2).ext"... in the order they were uploaded, skipping
names a file or a folder there holds already. The unique index then serves
the by-name pages that 0006's (folder, LOWER(name), created) index did.
"""

from __future__ import annotations

from collections import defaultdict

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import Count
from django.db.models.functions import Lower

from files.names import numbered


def number_duplicates(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    UploadedFile = apps.get_model("files", "UploadedFile")
    Folder = apps.get_model("files", "Folder")
    # GROUP BY the place and LOWER(name): the constraints' own comparison.
    groups = (
        UploadedFile.objects.order_by()
        .annotate(key=Lower("name"))
        .values("owner_id", "folder_id", "key")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
    )
    by_place: dict[tuple[object, object], list[str]] = defaultdict(list)
    for group in groups:
        by_place[(group["owner_id"], group["folder_id"])].append(group["key"])
    for (owner_id, folder_id), keys in by_place.items():
        if folder_id is None:
            files = UploadedFile.objects.filter(owner_id=owner_id, folder=None)
            folders = Folder.objects.filter(owner_id=owner_id, parent=None)
        else:
            files = UploadedFile.objects.filter(folder_id=folder_id)
            folders = Folder.objects.filter(parent_id=folder_id)
        used = {
            name.lower()
            for name in [*files.values_list("name", flat=True), *folders.values_list("name", flat=True)]
        }
        for key in keys:
            later = files.annotate(key=Lower("name")).filter(key=key).order_by("created", "pk")[1:]
            for pk, name in later.values_list("pk", "name"):
                number = 1
                while numbered(name, number).lower() in used:
                    number += 1
                renamed = numbered(name, number)
                used.add(renamed.lower())
                UploadedFile.objects.filter(pk=pk).update(name=renamed)


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0006_storage_usage_and_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The unique index on (folder, LOWER(name)) serves the by-name pages
        # with the same plans (SQLite and PostgreSQL: index scan, then a sort
        # of equal names only, which there are none of now).
        migrations.RemoveIndex(model_name="uploadedfile", name="files_folder_lower_name"),
        migrations.RunPython(number_duplicates, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="uploadedfile",
            constraint=models.UniqueConstraint(
                models.F("folder"),
                django.db.models.functions.text.Lower("name"),
                condition=models.Q(("folder__isnull", False)),
                name="file_name_unique_in_folder",
            ),
        ),
        migrations.AddConstraint(
            model_name="uploadedfile",
            constraint=models.UniqueConstraint(
                models.F("owner"),
                django.db.models.functions.text.Lower("name"),
                condition=models.Q(("folder__isnull", True)),
                name="file_name_unique_at_top",
            ),
        ),
    ]
