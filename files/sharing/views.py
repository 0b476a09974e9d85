"""Signed-in pages for sharing: "Shared with me" and the owner's sharing page.

What a visitor may see is decided by the querysets (files.access); these views
only pick which one (`owned_by`: only the owner changes sharing). Shared folders
are browsed with the ordinary folder pages, which use `readable_by`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.http import AuthenticatedRequest
from files import access
from files.models import Drop, Folder, Link, Share, UploadedFile
from files.sharing import grants
from files.sharing.forms import LinkForm, ShareForm
from portal.limits import Limit
from portal.qr import qr_svg

# The session key holding a link just made, until its sharing page shows it once.
NEW_LINK = "new_link"


class SharedWithMeView(ListView):
    """Everything shared directly with the signed-in user, newest first."""

    request: AuthenticatedRequest
    template_name = "files/shared.html"
    context_object_name = "shares"

    def get_paginate_by(self, queryset: Any) -> int:
        # A thousand shares rendered on one page took a second (bench/sharing.py).
        return settings.PORTAL_FILES_PER_PAGE

    def get_queryset(self) -> Any:
        # Two joins, no query per row, however many shares there are.
        return access.shares_with(self.request.user).select_related(
            "file", "folder", "file__owner", "folder__owner"
        )


class SharingMixin:
    """Scopes a sharing page to items the user owns: only the owner shares or revokes."""

    request: HttpRequest
    kwargs: dict[str, Any]

    def get_item(self) -> UploadedFile | Folder:
        pk, user = self.kwargs["pk"], self.request.user
        if self.kwargs["kind"] == "folder":
            return get_object_or_404(access.owned_folders(user), pk=pk)
        return get_object_or_404(access.owned_files(user), pk=pk)

    def sharing_url(self, item: UploadedFile | Folder) -> str:
        if isinstance(item, Folder):
            return reverse("files:folder-sharing", args=[item.pk])
        return reverse("files:file-sharing", args=[item.pk])


class SharingView(SharingMixin, TemplateView):
    """Who has access to an item, its links, and what was dropped through them."""

    template_name = "files/sharing.html"

    @classmethod
    def with_form(cls, request: HttpRequest, kwargs: dict[str, Any], **forms: Any) -> HttpResponse:
        """The page again, showing a refused POST's form with its errors."""
        view = cls()
        view.setup(request, **kwargs)
        return view.render_to_response(view.get_context_data(**forms))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        item = self.get_item()
        is_folder = isinstance(item, Folder)
        links = item.links.prefetch_related(
            Prefetch("drops", queryset=Drop.objects.select_related("file"))
        )
        return super().get_context_data(
            item=item,
            is_folder=is_folder,
            **self.new_link(item),
            shares=item.shares.select_related("recipient"),
            links=links,
            share_form=kwargs.pop("share_form", None) or ShareForm(folder=is_folder),
            link_form=kwargs.pop("link_form", None) or LinkForm(folder=is_folder),
            **kwargs,
        )

    def new_link(self, item: UploadedFile | Folder) -> dict[str, Any]:
        """The address of a link just made for `item`, with its QR code: shown this once."""
        made = self.request.session.get(NEW_LINK)
        if not made or made["item"] != str(item.pk):
            return {}
        del self.request.session[NEW_LINK]
        url = made["url"]
        return {"new_link_url": url, "new_link_qr": qr_svg(url, title="QR code of the new link")}


# Names that find nobody, per owner and hour (portal.limits, shared by all processes).
SHARE_MISSES = Limit("share-misses", 30, 60 * 60)


class ShareCreateView(SharingMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        item = self.get_item()
        form = ShareForm(request.POST, folder=isinstance(item, Folder))
        # A look-up is counted before it runs and given back when it finds
        # someone: the form is no fast way to test which emails have accounts.
        allowed = SHARE_MISSES.take(request.user.pk)
        valid = form.is_valid()
        if allowed and "recipient" in form.cleaned_data:
            SHARE_MISSES.give_back(request.user.pk)
        if not allowed:
            # The same answer, and the same count, whether the name was found or not.
            form.errors.pop("recipient", None)
            form.add_error(
                "recipient",
                ValidationError(
                    "Too many names that match no one: try again in an hour.", code="too_many"
                ),
            )
            valid = False
        if valid:
            try:
                shared = grants.share(
                    item,
                    form.cleaned_data["recipient"],
                    form.cleaned_data["role"],
                    label=form.typed_recipient,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                # The name as typed: a username never answers an email, nor the reverse.
                messages.success(request, f"Shared {item} with {shared.recipient_name}.")
                return HttpResponseRedirect(self.sharing_url(item))
        return SharingView.with_form(request, kwargs, share_form=form)


class LinkCreateView(SharingMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        item = self.get_item()
        form = LinkForm(request.POST, folder=isinstance(item, Folder))
        if not form.is_valid():
            return SharingView.with_form(request, kwargs, link_form=form)
        _, token = grants.create_link(item, **form.cleaned_data)
        url = request.build_absolute_uri(reverse("links:open", args=[token]))
        # Only a hash is kept: the next sharing page is the one time the URL is
        # shown (SharingView.new_link takes it out of the session).
        request.session[NEW_LINK] = {"item": str(item.pk), "url": url}
        messages.success(request, "Link created: copy it now, it is shown only once.")
        return HttpResponseRedirect(self.sharing_url(item))


class ShareRevokeView(TemplateView):
    """Ends a share; the recipient's next request is refused (404). GET asks first."""

    request: AuthenticatedRequest
    http_method_names = ["get", "post"]
    template_name = "files/sharing_confirm.html"

    def get_share(self) -> Share:
        # The owner of the shared item, and no one else, revokes.
        return get_object_or_404(
            access.owned_shares(self.request.user)
            .filter(pk=self.kwargs["pk"])
            .select_related("recipient", "file", "folder")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        granted = self.get_share()
        return super().get_context_data(
            title=f"Remove {granted.recipient_name}’s access?",
            explanation=f"{granted.recipient_name} will no longer see “{granted.item}”.",
            button="Remove access",
            back=SharingMixin().sharing_url(granted.item),
            **kwargs,
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        granted = self.get_share()
        item = granted.item
        granted.delete()
        messages.success(request, f"{granted.recipient_name} no longer has access to {item}.")
        return HttpResponseRedirect(SharingMixin().sharing_url(item))


class LinkRevokeView(TemplateView):
    """Closes a link for good (its row stays, for the trail). GET asks first."""

    request: AuthenticatedRequest
    http_method_names = ["get", "post"]
    template_name = "files/sharing_confirm.html"

    def get_link(self) -> Link:
        return get_object_or_404(
            access.owned_links(self.request.user)
            .filter(pk=self.kwargs["pk"])
            .select_related("file", "folder")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        link = self.get_link()
        return super().get_context_data(
            title=f"Revoke the link “{link}”?",
            explanation="Anyone holding it gets “This link no longer works”. "
            "A revoked link cannot be opened again: make a new one instead.",
            button="Revoke",
            back=SharingMixin().sharing_url(link.item),
            **kwargs,
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        link = self.get_link()
        grants.revoke(Link.objects.filter(pk=link.pk))
        messages.success(request, f"Revoked the link “{link}”.")
        return HttpResponseRedirect(SharingMixin().sharing_url(link.item))
