"""The signed-in routes of files: each package's views, one route per concern."""

from django.urls import URLPattern, path
from django.views import View

from files import views
from files.folders import views as folder_views
from files.history import views as history_views
from files.previews import views as preview_views
from files.sharing import views as sharing_views
from files.uploads import tus
from files.uploads import views as upload_views

app_name = "files"


def for_files_and_folders(route: str, view: type[View], name: str) -> list[URLPattern]:
    """`route` below a file (`files:file-<name>`) and below a folder (`files:folder-<name>`).

    The view gets `kind`, which names the model the pk belongs to.
    """
    return [
        path(f"<uuid:pk>/{route}", view.as_view(), {"kind": "file"}, name=f"file-{name}"),
        path(
            f"folders/<uuid:pk>/{route}", view.as_view(), {"kind": "folder"}, name=f"folder-{name}"
        ),
    ]


urlpatterns = [
    path("", views.FolderListView.as_view(), name="list"),
    path("upload/", upload_views.UploadView.as_view(), name="upload"),
    # Resumable uploads (tus 1.0.0): create here, then HEAD/PATCH/DELETE the upload's URL.
    path("tus/", tus.TusView.as_view(), name="tus"),
    path("tus/<uuid:pk>/", tus.TusView.as_view(), name="tus-upload"),
    path("move/", folder_views.MoveFilesView.as_view(), name="move"),
    path("shared/", sharing_views.SharedWithMeView.as_view(), name="shared"),
    path("download/", views.FolderZipView.as_view(), name="zip-all"),
    path("<uuid:pk>/", views.FileDetailView.as_view(), name="detail"),
    path("<uuid:pk>/delete/", views.FileDeleteView.as_view(), name="delete"),
    path("<uuid:pk>/download/", views.DownloadView.as_view(), name="download"),
    path("<uuid:pk>/preview/", views.DownloadView.as_view(inline=True), name="preview"),
    path("<uuid:pk>/thumbnail/", preview_views.ThumbnailView.as_view(), name="thumbnail"),
    path("folders/new/", folder_views.FolderCreateView.as_view(), name="folder-create"),
    path("folders/<uuid:pk>/", views.FolderListView.as_view(), name="folder"),
    path(
        "folders/<uuid:pk>/new/", folder_views.FolderCreateView.as_view(), name="subfolder-create"
    ),
    path("folders/<uuid:pk>/download/", views.FolderZipView.as_view(), name="folder-zip"),
    path("folders/<uuid:pk>/upload/", upload_views.UploadView.as_view(), name="folder-upload"),
    path(
        "folders/<uuid:pk>/rename/", folder_views.FolderRenameView.as_view(), name="folder-rename"
    ),
    path("folders/<uuid:pk>/move/", folder_views.FolderMoveView.as_view(), name="folder-move"),
    path(
        "folders/<uuid:pk>/delete/", history_views.FolderDeleteView.as_view(), name="folder-delete"
    ),
    # The trash: the owner's alone. Versions: read with the file, restored by its writers.
    path("trash/", history_views.TrashView.as_view(), name="trash"),
    path("trash/empty/", history_views.EmptyTrashView.as_view(), name="trash-empty"),
    *for_files_and_folders("restore/", history_views.RestoreView, "restore"),
    *for_files_and_folders("purge/", history_views.PurgeView, "purge"),
    path(
        "<uuid:pk>/versions/<uuid:version>/download/",
        views.VersionDownloadView.as_view(),
        name="version-download",
    ),
    path(
        "<uuid:pk>/versions/<uuid:version>/restore/",
        history_views.VersionRestoreView.as_view(),
        name="version-restore",
    ),
    # Sharing: the item's owner only, for files and folders alike.
    *for_files_and_folders("sharing/", sharing_views.SharingView, "sharing"),
    *for_files_and_folders("sharing/share/", sharing_views.ShareCreateView, "share"),
    *for_files_and_folders("sharing/link/", sharing_views.LinkCreateView, "link"),
    path("shares/<int:pk>/revoke/", sharing_views.ShareRevokeView.as_view(), name="share-revoke"),
    path("links/<int:pk>/revoke/", sharing_views.LinkRevokeView.as_view(), name="link-revoke"),
]
