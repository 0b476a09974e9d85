"""Shares and links over the API: only an item's owner shares it, links it or revokes them.

The browser's sharing page in JSON: the rules are files.sharing.grants', the
lookups files.access' (owned_files, owned_shares, owned_links), so what is
404 on the sharing page is 404 here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from files import access
from files.api import serializers as s
from files.api.errors import Refused
from files.api.views import Pages, find, query_id
from files.models import Folder, Link, Share, UploadedFile
from files.sharing import grants

ITEM_PARAMS = [
    OpenApiParameter("file", OpenApiTypes.UUID, description="Only this file's."),
    OpenApiParameter("folder", OpenApiTypes.UUID, description="Only this folder's."),
]


def owned_item(user: User, attrs: dict[str, Any]) -> UploadedFile | Folder:
    """The file or folder a request names, among `user`'s own: anyone else's is 404."""
    if attrs.get("folder") is not None:
        return find(access.owned_folders(user).select_related("owner"), attrs["folder"])
    return find(access.owned_files(user).select_related("owner"), attrs["file"])


def for_item(queryset: QuerySet[Any], request: Request) -> QuerySet[Any]:
    """`?file=` / `?folder=` narrow a list to one item's (400 for what is not an id)."""
    for field in ("file", "folder"):
        value = query_id(request, field)
        if value is not None:
            queryset = queryset.filter(**{field: value})
    return queryset


def find_number(queryset: QuerySet[Any], pk: Any) -> Any:
    """The row of this integer id among `queryset`, or 404 (also for what is no such id)."""
    try:
        wanted = int(str(pk))
    except ValueError:
        raise exceptions.NotFound() from None
    if not 0 < wanted < 2**63:  # beyond a database integer: no such row
        raise exceptions.NotFound()
    return get_object_or_404(queryset, pk=wanted)


class ShareListView(generics.ListCreateAPIView):
    """GET: the shares of your files and folders; POST: share one with someone."""

    serializer_class = s.ShareSerializer
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[Share]:
        shares = access.owned_shares(self.request.user).select_related(
            "recipient", "file__owner", "folder__owner"
        )
        return for_item(shares, self.request).order_by("-created", "pk")

    @extend_schema(parameters=ITEM_PARAMS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.ShareCreateSerializer, responses={201: s.ShareSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        wanted = s.ShareCreateSerializer(data=request.data)
        wanted.is_valid(raise_exception=True)
        item = owned_item(request.user, wanted.validated_data)
        try:
            recipient = grants.find_recipient(wanted.validated_data["recipient"])
        except ValidationError as error:
            raise Refused("recipient", error) from None
        try:
            shared = grants.share(item, recipient, wanted.validated_data["role"])
        except ValidationError as error:
            raise Refused(None, error) from None
        shared = self.get_queryset().get(pk=shared.pk)
        return Response(s.ShareSerializer(shared).data, status=status.HTTP_201_CREATED)


class ShareDetailView(generics.RetrieveDestroyAPIView):
    """One share of yours (GET); DELETE revokes it: the recipient's next request is 404."""

    serializer_class = s.ShareSerializer

    def get_queryset(self) -> QuerySet[Share]:
        return access.owned_shares(self.request.user).select_related(
            "recipient", "file__owner", "folder__owner"
        )

    def get_object(self) -> Share:
        return find_number(self.get_queryset(), self.kwargs["pk"])


class SharedWithMeView(generics.ListAPIView):
    """What others shared with you, newest first (their folders are browsed with ?folder=)."""

    serializer_class = s.ShareSerializer
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[Share]:
        return (
            Share.objects.filter(recipient=self.request.user)
            .select_related("recipient", "file__owner", "folder__owner")
            .order_by("-created", "pk")
        )


class LinkListView(generics.ListCreateAPIView):
    """GET: the links to your files and folders; POST: a new download or drop link."""

    serializer_class = s.LinkSerializer
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[Link]:
        links = access.owned_links(self.request.user)
        return for_item(links, self.request).order_by("-created", "pk")

    @extend_schema(parameters=ITEM_PARAMS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.LinkCreateSerializer, responses={201: s.NewLinkSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        wanted = s.LinkCreateSerializer(data=request.data)
        wanted.is_valid(raise_exception=True)
        attrs = dict(wanted.validated_data)
        item = owned_item(request.user, attrs)
        if attrs["kind"] == Link.Kind.DROP and not isinstance(item, Folder):
            raise Refused(
                "kind", ValidationError("Files can be dropped only into a folder.", "drop_on_file")
            )
        link, token = grants.create_link(
            item,
            kind=attrs["kind"],
            label=attrs["label"],
            expires=attrs["expires"],
            password=attrs["password"],
            download_limit=attrs["download_limit"],
        )
        shown = s.NewLinkSerializer(link).data
        # Only a hash is kept: this answer is the one time the URL is shown.
        shown["url"] = request.build_absolute_uri(reverse("links:open", args=[token]))
        return Response(shown, status=status.HTTP_201_CREATED)


class LinkDetailView(generics.RetrieveDestroyAPIView):
    """One link of yours (GET); DELETE revokes it for good (its row stays, for the trail)."""

    serializer_class = s.LinkSerializer

    def get_queryset(self) -> QuerySet[Link]:
        return access.owned_links(self.request.user)

    def get_object(self) -> Link:
        return find_number(self.get_queryset(), self.kwargs["pk"])

    def perform_destroy(self, instance: Link) -> None:
        grants.revoke(Link.objects.filter(pk=instance.pk))
