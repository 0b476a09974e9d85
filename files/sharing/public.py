"""The anonymous surface: public links at /s/<token>/, the one module that serves them.

Every view here is `login_not_required` (the marker the login and
anonymous-POST middlewares honour) and nothing else in the project is. A
wrong token is 404; a revoked, expired or used-up link is 410 and sends
nothing; a password link asks first and remembers the answer for the
session. What a link shows is decided by files.access (`via_link`); the
bytes leave through files.delivery like every other download. A drop link
takes files in one request each (LinkDropView) or resumably (LinkTusView, the
tus door of files.uploads.tus under the link's rules).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial, wraps
from typing import Any, cast
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.decorators import decorator_from_middleware, method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from files import access, delivery
from files.delivery import zip as zip_delivery
from files.folders import archive
from files.models import Drop, Folder, Link, ResumableUpload, UploadedFile
from files.previews.preview import preview_of
from files.scanning.pages import withheld_page
from files.sharing import audit, grants
from files.sharing.forms import DropForm, UnlockForm, for_visitor
from files.uploads import intake, resumable, tus
from files.uploads.intake import StoreUnavailable
from files.uploads.views import store_unavailable
from portal.http import json_errors, wants_json
from portal.limits import Limit
from portal.proxies import client_address

app_name = "links"

# Wrong passwords allowed per window: per link (whoever guesses) and per client
# (whichever link they try), so neither one address nor many can grind a password.
GUESS_WINDOW = 15 * 60
GUESSES_PER_LINK = 20
GUESSES_PER_CLIENT = 10
# In the cache all processes share (portal.cache): a limit per process would
# be multiplied by the number of gunicorn workers and app servers.
PER_LINK = Limit("link-guesses:link", GUESSES_PER_LINK, GUESS_WINDOW)
PER_CLIENT = Limit("link-guesses:client", GUESSES_PER_CLIENT, GUESS_WINDOW)
SESSION_KEY = "unlocked_links"
# A random secret of this browser's link session: its resumable drop uploads are
# its own (files.access.uploads_via_link, by the secret's hash). It survives
# the new session key an unlock gives, unlike the key itself.
VISITOR_KEY = "drop_visitor"


class NullOriginCsrf(CsrfViewMiddleware):
    """Django's CSRF check, also accepting `Origin: null` from our own link pages.

    A page sent with `Referrer-Policy: no-referrer` makes the browser post its
    forms with `Origin: null` (Fetch standard, "serializing a request origin"),
    which Django's origin check refuses. The CSRF token (cookie and form field)
    is still required, and a page elsewhere cannot read it.
    """

    # Django's own hook for the Origin header (4.0+; the stubs omit private
    # methods); test_links pins what it does with a null and a foreign origin.
    def _origin_verified(self, request: HttpRequest) -> bool:
        null = request.META.get("HTTP_ORIGIN") == "null"
        return null or super()._origin_verified(request)  # type: ignore[misc]


link_csrf_protect = decorator_from_middleware(NullOriginCsrf)


def public(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Open to anonymous visitors; the token stays out of Referer headers and search indexes."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    # The global CSRF middleware steps aside for the variant above, never for nothing.
    protected = cast(Callable[..., HttpResponseBase], link_csrf_protect(wrapped))
    return login_not_required(csrf_exempt(protected))


@method_decorator(public, name="dispatch")
class LinkView(View):
    """Finds the link named by the token and turns it away while closed or locked."""

    link: Link
    token: str
    # The unlock view is the one a locked link may reach.
    needs_unlock = True
    is_front_page = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.token = kwargs.pop("token")
        link = grants.find_link(self.token)
        if link is None or not access.link_is_live(link):
            raise Http404("No such link.")
        closed = grants.why_closed(link)
        if closed is not None:
            return render(request, "links/gone.html", {"link": link, "reason": closed}, status=410)
        self.link = link
        if self.needs_unlock and link.password and not is_unlocked(request, link):
            # The link's own page asks politely; anything deeper is refused until then.
            status = 200 if self.is_front_page else 403
            return render_unlock(request, link, UnlockForm(), status=status)
        return super().dispatch(request, *args, **kwargs)


def is_unlocked(request: HttpRequest, link: Link) -> bool:
    return link.pk in request.session.get(SESSION_KEY, [])


def render_unlock(request: HttpRequest, link: Link, form: UnlockForm, status: int) -> HttpResponse:
    return render(request, "links/unlock.html", {"link": link, "form": form}, status=status)


class LinkPageView(LinkView):
    """/s/<token>/: a file's name, size and download button; a folder's list; a drop form."""

    http_method_names = ["get", "head"]
    is_front_page = True

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        link = self.link
        if link.kind == Link.Kind.DROP:
            return render_drop(request, link, self.token, DropForm(owner=link.item.owner))
        if link.folder is not None:
            return render_folder(request, link, self.token, link.folder)
        upload = get_object_or_404(access.files_via_link(link))
        return render_file(request, link, self.token, upload)


class LinkFileView(LinkView):
    """/s/<token>/file/<file>/: the page of a file below a folder link, with its preview."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, file: str, **kwargs: Any) -> HttpResponse:
        upload = get_object_or_404(access.files_via_link(self.link), pk=file)
        return render_file(request, self.link, self.token, upload)


def render_file(request: HttpRequest, link: Link, token: str, upload: UploadedFile) -> HttpResponse:
    """A file's name, size, preview and download button, as the link's visitor may have them."""
    withheld = access.withheld(upload, request.user)
    # The owner's file page shows the same preview (files.previews), from the link's routes.
    previews = access.link_shows_previews(link)
    context = {
        "link": link,
        "upload": upload,
        "token": token,
        "withheld": withheld,
        "preview": preview_of(upload) if withheld is None and previews else None,
        "previews_off": withheld is None and not previews,
        "preview_url": reverse("links:preview", args=[token, upload.pk]),
        "download_url": reverse("links:download", args=[token, upload.pk]),
    }
    if link.folder is not None:
        # Back to the folder it is in, which the link shows (it is below the linked one).
        back = reverse("links:open", args=[token])
        if upload.folder_id != link.folder_id:
            back = reverse("links:folder", args=[token, upload.folder_id])
        context["folder_url"] = back
    return render(request, "links/file.html", context)


class LinkFolderView(LinkView):
    """/s/<token>/f/<folder>/: a folder below the linked one."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, folder: str, **kwargs: Any) -> HttpResponse:
        shown = get_object_or_404(access.folders_via_link(self.link), pk=folder)
        return render_folder(request, self.link, self.token, shown)


def render_folder(request: HttpRequest, link: Link, token: str, folder: Folder) -> HttpResponse:
    shown = access.folders_via_link(link)
    # The trail runs from the linked folder down to this one: nothing above it is named.
    ids = folder.path.strip("/").split("/")
    trail = sorted(shown.filter(pk__in=ids), key=lambda crumb: len(crumb.path))
    files = access.files_via_link(link).filter(folder=folder).order_by(Lower("name"), "pk")
    paginator = Paginator(files, settings.PORTAL_FILES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "links/folder.html",
        {
            "link": link,
            "token": token,
            "folder": folder,
            "breadcrumbs": trail,
            # Folders first, on the first page only, as in the owner's list.
            "subfolders": shown.filter(parent=folder) if page.number == 1 else [],
            "files": page.object_list,
            "page_obj": page,
            "paginator": paginator,
            "is_paginated": page.has_other_pages(),
        },
    )


class LinkUnlockView(LinkView):
    """POST /s/<token>/unlock/: a right password opens the link for this session."""

    http_method_names = ["post"]
    needs_unlock = False

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        link = self.link
        if not link.password or is_unlocked(request, link):
            return HttpResponseRedirect(reverse("links:open", args=[self.token]))
        # Counted before the password is looked at, given back when it is right.
        limits = [(PER_LINK, link.pk), (PER_CLIENT, client_address(request))]
        # Both counted, even when the first refuses (no short circuit).
        taken = [limit.take(who) for limit, who in limits]
        if not all(taken):
            response = render(request, "links/too_many.html", {"link": link}, status=429)
            response["Retry-After"] = str(GUESS_WINDOW)
            return response
        form = UnlockForm(request.POST)
        if form.is_valid() and grants.password_matches(link, form.cleaned_data["password"]):
            for limit, who in limits:
                limit.give_back(who)
            # A new session key on a change of privilege, as a login does.
            request.session.cycle_key()
            request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, []), link.pk]
            return HttpResponseRedirect(reverse("links:open", args=[self.token]))
        form.add_error("password", ValidationError("That is not the password.", code="wrong"))
        return render_unlock(request, link, form, status=403)


class LinkDownloadView(LinkView):
    """/s/<token>/download/<file>/: sends a file the link shows, counting the download.

    Every GET that sends bytes uses one download, a Range request too (a resumed
    download counts again); HEAD sends none and counts none. A link with a
    limit is never answered with a signed URL, which could be fetched again
    without passing the count.
    """

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, file: str, **kwargs: Any) -> HttpResponseBase:
        link = self.link
        upload = get_object_or_404(access.files_via_link(link), pk=file)
        reason = access.withheld(upload, request.user)
        if reason is not None:
            # Before counting: a file being checked uses none of the link's downloads.
            return withheld_page(request, upload, reason)
        if request.method == "GET" and not grants.count_download(link):
            # Another visitor took the last download since this request began.
            return render(
                request, "links/gone.html", {"link": link, "reason": "exhausted"}, status=410
            )
        response = delivery.serve(request, upload, reusable=link.download_limit is None)
        audit.record(request, upload, response, link=link)
        return response


class LinkPreviewView(LinkView):
    """/s/<token>/preview/<file>/: the inline bytes of a link's image, PDF, audio or video.

    Checked like the link's download (a closed link is 410, a locked one 403,
    bytes the scanner withholds get its page) but counts nothing and records
    nothing, like the owner's previews; a link with a download limit has
    none (access.link_shows_previews).
    """

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, file: str, **kwargs: Any) -> HttpResponseBase:
        upload = get_object_or_404(access.previews_via_link(self.link), pk=file)
        reason = access.withheld(upload, request.user)
        if reason is not None:
            return withheld_page(request, upload, reason)
        if not upload.previewable:
            raise Http404("This file has no preview.")
        return delivery.serve(request, upload, inline=True)


class LinkZipView(LinkView):
    """/s/<token>/zip/: the link's folder and everything below it as one ZIP ("Download all").

    Like a file's download: one use of a limited link per GET, a Range request
    too; one audit row for the archive.
    """

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        link = self.link
        folder = link.folder
        if link.kind != Link.Kind.DOWNLOAD or folder is None:
            raise Http404("This link has no folder to download.")
        contents = archive.collect(
            folder,
            access.folders_via_link(link),
            access.sendable(access.files_via_link(link), request.user),
        )
        if request.method == "GET" and not grants.count_download(link):
            return render(
                request, "links/gone.html", {"link": link, "reason": "exhausted"}, status=410
            )
        filename = f"{folder.name}.zip"

        def note() -> None:
            audit.record_zip(
                request, owner_id=folder.owner_id, folder=folder, archive_name=filename,
                files=contents.files, link=link,
            )  # fmt: skip

        return zip_delivery.send(request, contents.entries, filename=filename, on_sent=note)


class LinkDropView(LinkView):
    """POST /s/<token>/drop/: files into the link's folder, under its owner's quota.

    The drop page's script sends `Accept: application/json` and gets JSON:
    201 with the stored names, or 400 with a message per problem.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        link = self.link
        if link.kind != Link.Kind.DROP:
            raise Http404("This link takes no files.")
        folder = link.folder
        if folder is None:
            raise Http404("This link takes no files.")  # the link_drop_only_on_folders constraint
        form = DropForm(request.POST, request.FILES, owner=folder.owner)
        if form.is_valid():
            # Taken names get numbered copies (files.uploads.intake); the visitor
            # is told the names they sent, not which ones the folder held already.
            sent = [f.name for f in form.cleaned_data["file"]]
            try:
                stored = intake.store_uploads(
                    folder.owner,
                    form.cleaned_data["file"],
                    folder,
                    directory=form.cleaned_data["directory"],
                    record=partial(
                        record_drops,
                        link,
                        dropped_by=form.cleaned_data["dropped_by"],
                        ip=client_address(request) or None,
                    ),
                    numbered_folders=True,
                )
            except ValidationError as error:
                # The locked quota re-check lost a race with another upload.
                form.add_error("file", for_visitor(error))
            except StoreUnavailable:
                return store_unavailable(request, back=reverse("links:open", args=[self.token]))
            else:
                if wants_json(request):
                    # The visitor learns what they sent, nothing of where it went.
                    files = [
                        {"name": name, "size": f.size} for f, name in zip(stored, sent, strict=True)
                    ]
                    return JsonResponse({"files": files}, status=201)
                messages.success(request, f"Thank you: {len(stored)} file(s) delivered.")
                return HttpResponseRedirect(reverse("links:open", args=[self.token]))
        if wants_json(request):
            return json_errors(form)
        return render_drop(request, link, self.token, form)


def record_drops(
    link: Link, stored: list[UploadedFile], *, dropped_by: str, ip: str | None
) -> None:
    """Who left the files, written by the intake with them, in one transaction."""
    Drop.objects.bulk_create(
        Drop(file=upload, link=link, dropped_by=dropped_by, ip=ip) for upload in stored
    )


def visitor_of(request: HttpRequest, *, begin: bool = False) -> str:
    """The hash of this link session's visitor secret ("" when it has none); `begin` makes one."""
    secret = request.session.get(VISITOR_KEY)
    if secret is None:
        if not begin:
            return ""
        secret = request.session[VISITOR_KEY] = secrets.token_urlsafe(32)
    return grants.token_hash(secret)


class LinkTusView(LinkView, tus.TusView):
    """/s/<token>/tus/ and its uploads: a drop link's resumable uploads (tus 1.0.0).

    The tus door of files.uploads.tus with the drop's rules: an upload goes
    into the link's folder, under its owner's quota (reserved at creation, as
    for the owner's own), is the link session's alone (another visitor, the
    owner, a stranger: 404), numbers a clash (never replaces: `on_conflict`
    and `folder` are not taken), words refusals for a stranger, and finds the
    link open again when the last byte completes it (LinkView has at every
    request: closed is 410), writing the Drop row with the file.
    """

    http_method_names = tus.TusView.http_method_names
    numbered_folders = True

    def checked(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if self.link.kind != Link.Kind.DROP or self.link.folder is None:
            raise tus.Refused(404, "This link takes no files.", "not_found")
        return super().checked(request, *args, **kwargs)

    def continuable(self) -> QuerySet[ResumableUpload]:
        return access.uploads_via_link(self.link, visitor_of(self.request))

    def begin(self, metadata: dict[str, str], length: int, directory: str) -> ResumableUpload:
        dropped_by = metadata.get("dropped_by", "").strip()
        if len(dropped_by) > 100:  # Drop.dropped_by's max_length, as DropForm's
            raise tus.Refused(400, "dropped_by is too long.", "bad_dropped_by", "dropped_by")
        return resumable.create(
            None,
            self.link.folder,
            metadata.get("filename", ""),
            length,
            directory=directory,
            link=self.link,
            visitor=visitor_of(self.request, begin=True),
            dropped_by=dropped_by,
        )

    def upload_url(self, upload: ResumableUpload) -> str:
        return reverse("links:tus-upload", args=[self.token, upload.pk])

    def worded(self, error: ValidationError) -> ValidationError:
        return for_visitor(error)

    def still_allowed(self, upload: ResumableUpload) -> bool:
        return True  # the link's rules, checked by LinkView at every request

    def describe(self, response: HttpResponse, stored: UploadedFile, sent: str) -> None:
        # What they sent, nothing of where it went (a numbered name would say what is there).
        response["Portal-File-Name"] = quote(sent)

    def record(self, upload: ResumableUpload) -> resumable.Record:
        ip = client_address(self.request) or None

        def record(stored: list[UploadedFile]) -> None:
            # Read again: revoked, expired or trashed while the last bytes came.
            link = grants.find_link(self.token)
            if link is None or grants.why_closed(link) or not access.link_is_live(link):
                raise ValidationError("This link no longer takes files.", code="link_closed")
            record_drops(link, stored, dropped_by=upload.dropped_by, ip=ip)

        return record


def render_drop(request: HttpRequest, link: Link, token: str, form: DropForm) -> HttpResponse:
    # Nothing of the owner (name, usage, quota) nor of the folder (name, contents).
    return render(
        request,
        "links/drop.html",
        {
            "link": link,
            "token": token,
            "form": form,
            "max_upload_size": settings.PORTAL_MAX_UPLOAD_SIZE,
            "max_file_size": settings.PORTAL_MAX_FILE_SIZE,  # through the uploader (tus)
        },
    )


urlpatterns = [
    path("<str:token>/", LinkPageView.as_view(), name="open"),
    path("<str:token>/unlock/", LinkUnlockView.as_view(), name="unlock"),
    path("<str:token>/f/<uuid:folder>/", LinkFolderView.as_view(), name="folder"),
    path("<str:token>/file/<uuid:file>/", LinkFileView.as_view(), name="file"),
    path("<str:token>/download/<uuid:file>/", LinkDownloadView.as_view(), name="download"),
    path("<str:token>/preview/<uuid:file>/", LinkPreviewView.as_view(), name="preview"),
    path("<str:token>/zip/", LinkZipView.as_view(), name="zip"),
    path("<str:token>/drop/", LinkDropView.as_view(), name="drop"),
    # Resumable drops (tus): create here, then HEAD/PATCH/DELETE the upload's URL.
    path("<str:token>/tus/", LinkTusView.as_view(), name="tus"),
    path("<str:token>/tus/<uuid:pk>/", LinkTusView.as_view(), name="tus-upload"),
]
