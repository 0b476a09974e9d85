from django.urls import path

from files import views

app_name = "files"

urlpatterns = [
    path("", views.FileListView.as_view(), name="list"),
    path("upload/", views.UploadView.as_view(), name="upload"),
    path("<uuid:pk>/", views.FileDetailView.as_view(), name="detail"),
    path("<uuid:pk>/delete/", views.FileDeleteView.as_view(), name="delete"),
    path("<uuid:pk>/download/", views.DownloadView.as_view(), name="download"),
    path("<uuid:pk>/preview/", views.DownloadView.as_view(inline=True), name="preview"),
    path("<uuid:pk>/thumbnail/", views.ThumbnailView.as_view(), name="thumbnail"),
]
