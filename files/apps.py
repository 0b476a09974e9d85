from django.apps import AppConfig
from django.db.models.signals import post_migrate


class FilesConfig(AppConfig):
    name = "files"
    verbose_name = "Files"

    def ready(self) -> None:
        from files import checks, signals  # noqa: F401  (registers the checks and receivers)
        from portal import cache
        from portal import checks as portal_checks  # noqa: F401

        # The shared cache's table (portal.cache) follows every migrate: make run,
        # make serve, the test databases and a fresh deployment all have it.
        post_migrate.connect(cache.create_table, sender=self)
