from django.urls import path

from files import folder_views, views

app_name = "files"

urlpatterns = [
    path("", views.FolderListView.as_view(), name="list"),
    path("upload/", views.UploadView.as_view(), name="upload"),
    path("move/", folder_views.MoveFilesView.as_view(), name="move"),
    path("<uuid:pk>/", views.FileDetailView.as_view(), name="detail"),
    path("<uuid:pk>/delete/", views.FileDeleteView.as_view(), name="delete"),
    path("<uuid:pk>/download/", views.DownloadView.as_view(), name="download"),
    path("<uuid:pk>/preview/", views.DownloadView.as_view(inline=True), name="preview"),
    path("folders/new/", folder_views.FolderCreateView.as_view(), name="folder-create"),
    path("folders/<uuid:pk>/", views.FolderListView.as_view(), name="folder"),
    path(
        "folders/<uuid:pk>/new/", folder_views.FolderCreateView.as_view(), name="subfolder-create"
    ),
    path("folders/<uuid:pk>/upload/", views.UploadView.as_view(), name="folder-upload"),
    path(
        "folders/<uuid:pk>/rename/", folder_views.FolderRenameView.as_view(), name="folder-rename"
    ),
    path("folders/<uuid:pk>/move/", folder_views.FolderMoveView.as_view(), name="folder-move"),
    path(
        "folders/<uuid:pk>/delete/", folder_views.FolderDeleteView.as_view(), name="folder-delete"
    ),
]
