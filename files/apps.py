from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "files"
    verbose_name = "Files"

    def ready(self) -> None:
        from files import signals  # noqa: F401  (connects the receivers)
