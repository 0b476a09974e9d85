from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="files:list"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("files/", include("files.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "portal.views.server_error"
