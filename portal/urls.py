from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="files:list"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("files/", include("files.urls")),
    # Public links: the anonymous surface, all of it in files/links.py.
    path("s/", include("files.sharing.public")),
    # The REST API: token-only, JSON errors (files/api/).
    path("api/v1/", include("files.api.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler500 = "portal.views.server_error"
