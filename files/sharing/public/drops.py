"""Drop links: files in one request each (LinkDropView) or resumably (LinkTusView,
the tus door of files.uploads.tus under the link's rules).
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from files import access
from files.models import Drop, Link, ResumableUpload, UploadedFile
from files.sharing import grants
from files.sharing.forms import DropForm, for_visitor
from files.sharing.public.base import LinkView
from files.uploads import intake, resumable, tus
from files.uploads.intake import StoreUnavailable
from files.uploads.views import store_unavailable
from portal.http import json_errors, wants_json
from portal.proxies import client_address

# A random secret of this browser's link session: its resumable drop uploads are
# its own (files.access.uploads_via_link, by the secret's hash). It survives
# the new session key an unlock gives, unlike the key itself.
VISITOR_KEY = "drop_visitor"


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
