"""Background work of the intake, run by `manage.py db_worker` (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from files.uploads import resumable


@task()
def expire_uploads() -> dict[str, int]:
    """End the resumable uploads past their expiry (aborting their S3 multipart uploads)."""
    expired, completed = resumable.expire()
    return {"expired": expired, "completed": completed}
