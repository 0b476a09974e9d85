"""Files and folders over the API: the browser's operations, the browser's rules.

Every lookup goes through files.access with the same queryset the browser's
view for that action uses, so a stranger's id is 404 here exactly where it is
404 there (files/tests/test_permissions.py and test_api_permissions.py say who
gets what).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from files import access, delivery
from files.api import serializers as s
from files.api.errors import Refused, StoreDown, form_refused
from files.api.parsers import BoundedJSONParser
from files.folders import search, tree
from files.folders.search import HitsPaginator
from files.history import trash
from files.models import Folder, ScanStatus, UploadedFile
from files.sharing import audit
from files.uploads import intake
from files.uploads.forms import UploadForm


class Pages(PageNumberPagination):
    """`?page=N`, PORTAL_FILES_PER_PAGE to a page, as the browser's lists."""

    last_page_strings = ()  # `page` is a number: the schema says so

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        number = request.query_params.get(self.page_query_param)
        if number is None:
            return 1
        if not number.isdigit() or not number.isascii():
            raise Refused("page", ValidationError("A page is a number.", code="invalid"))
        return number

    def get_page_size(self, request: Request) -> int:
        return int(settings.PORTAL_FILES_PER_PAGE)


class SearchPages(Pages):
    """Pages of search hits read the way the folder page reads them (files.folders.search)."""

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        query = search_query(request)
        self.django_paginator_class = HitsPaginator if query else Paginator
        return super().paginate_queryset(queryset, request, view)


def parse_id(value: Any, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Refused(field, ValidationError("Not a valid id.", code="invalid")) from None


def search_query(request: Request) -> str:
    """`?q=`, normalised as the folder page's."""
    return search.normalise(request.query_params.get("q", ""))


def query_id(request: Request, name: str) -> uuid.UUID | None:
    """The id in query parameter `name`; None when it is absent; 400 when it is not an id."""
    if name not in request.query_params:
        return None
    return parse_id(request.query_params[name], name)


def find(queryset: QuerySet[Any], pk: Any) -> Any:
    """The object among `queryset` with this id, or 404 (also for an id that is not one)."""
    try:
        wanted = uuid.UUID(str(pk))
    except ValueError:
        raise exceptions.NotFound() from None
    return get_object_or_404(queryset, pk=wanted)


def target_folder(user: User, value: uuid.UUID | None) -> Folder | None:
    """The folder a request puts something into: one `user` may add to, else 404."""
    if value is None:
        return None
    return find(access.writable_folders(user).select_related("owner"), value)


FOLDER_PARAM = OpenApiParameter(
    "folder", OpenApiTypes.UUID, description="A folder's files; absent: your top level."
)
Q_PARAM = OpenApiParameter(
    "q", str, description="Search names in the folder and below (your whole account at the top)."
)
SORT_PARAM = OpenApiParameter(
    "sort", str, enum=list(search.SORT_ORDERS), default=search.DEFAULT_SORT
)


class FileListView(generics.ListAPIView):
    """GET: a page of files; POST: upload one file (multipart `file`, optional `folder`)."""

    serializer_class = s.FileSerializer
    pagination_class = SearchPages
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    def get_queryset(self) -> QuerySet[UploadedFile]:
        user, params = self.request.user, self.request.query_params
        query = search_query(self.request)
        sort = params.get("sort", search.DEFAULT_SORT)
        if sort not in search.SORT_ORDERS:
            choices = ", ".join(search.SORT_ORDERS)
            raise Refused("sort", ValidationError(f"Sort by one of {choices}.", code="invalid"))
        folder_id = query_id(self.request, "folder")
        if folder_id is not None:
            folder = find(access.readable_folders(user), folder_id)
            files = access.readable_files(user)
            if query:
                subtree = Folder.objects.filter(path__startswith=folder.path).values("pk")
                files = files.filter(folder__in=subtree)
            else:
                files = files.filter(folder=folder)
        else:
            files = access.owned_files(user)
            files = files if query else files.filter(folder=None)
        if query:
            files = files.filter(name__icontains=query)
        return files.select_related("owner").order_by(*search.SORT_ORDERS[sort], "pk")

    @extend_schema(parameters=[FOLDER_PARAM, Q_PARAM, SORT_PARAM])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": s.UploadSerializer},
        responses={201: s.FileSerializer},
    )
    def post(self, request: Request) -> Response:
        sent = request.FILES.getlist("file")
        if len(sent) > 1:
            raise Refused("file", ValidationError("Send one file a request.", code="one_file"))
        data = request.data if hasattr(request.data, "get") else {}
        folder_id = data.get("folder")
        folder = target_folder(
            request.user, parse_id(folder_id, "folder") if folder_id is not None else None
        )
        # Everything in a folder belongs to the folder's owner, whoever uploads it.
        owner = folder.owner if folder else request.user
        form = UploadForm(data={}, files=request.FILES, owner=owner, uploader=request.user)
        if not form.is_valid():
            raise form_refused(form.errors.as_data())
        try:
            [stored] = intake.store_uploads(
                owner, form.cleaned_data["file"], folder, by=request.user
            )
        except ValidationError as error:
            raise Refused("file", error) from None
        except intake.StoreUnavailable:
            raise StoreDown() from None
        stored.owner = owner
        return Response(s.FileSerializer(stored).data, status=status.HTTP_201_CREATED)


class FileDetailView(generics.RetrieveUpdateDestroyAPIView):
    """A file you may read (GET), change (PATCH: rename, move) or delete (DELETE).

    DELETE as the browser's: the owner, or an editor inside a share
    (access.deletable_files); either way into the owner's trash.
    """

    serializer_class = s.FileSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[UploadedFile]:
        user, method = self.request.user, self.request.method
        if method == "DELETE":
            files = access.deletable_files(user)
        elif method == "PATCH":
            files = access.writable_files(user)
        else:
            files = access.readable_files(user)
        return files.select_related("owner", "folder")

    def get_object(self) -> UploadedFile:
        return find(self.get_queryset(), self.kwargs["pk"])

    @extend_schema(request=s.FileChangeSerializer, responses=s.FileSerializer)
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        stored = self.get_object()
        change = s.FileChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        wanted = change.validated_data
        with transaction.atomic():  # a refused move undoes the rename
            if "folder" in wanted:
                target = target_folder(request.user, wanted["folder"])
                try:
                    tree.move_files(request.user, [stored.pk], target)
                except ValidationError as error:
                    raise Refused("folder", error) from None
                stored.folder = target
            if "name" in wanted:
                try:
                    intake.rename_file(stored, wanted["name"])
                except ValidationError as error:
                    raise Refused("name", error) from None
        return Response(s.FileSerializer(stored).data)

    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.MethodNotAllowed("PUT")

    def perform_destroy(self, instance: UploadedFile) -> None:
        # To the owner's trash, as from the browser (files.history.trash).
        trash.trash_file(instance, by=self.request.user)


class AnyAccept(BaseContentNegotiation):
    """A download answers whatever the client accepts: the file's own type is not a choice."""

    def select_parser(self, request: Request, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


def withheld_json(stored: UploadedFile, reason: str) -> JsonResponse:
    """409 with Retry-After while the file is being checked; 403 when it will not be sent."""
    pending = reason == ScanStatus.PENDING
    message = "The file is being checked for viruses." if pending else "This file is not sent."
    response = JsonResponse(
        {"detail": message, "code": f"scan_{reason}"}, status=409 if pending else 403
    )
    if pending:
        response["Retry-After"] = str(settings.PORTAL_SCAN_RETRY_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class FileDownloadView(APIView):
    """The file's bytes, as the browser's download sends them (the front server, when set)."""

    content_negotiation_class = AnyAccept
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            302: OpenApiResponse(description="A signed or presigned URL to fetch it from."),
        }
    )
    def get(self, request: Request, pk: Any) -> HttpResponseBase:
        stored = find(access.readable_files(request.user), pk)
        # What ClamAV has not cleared for this reader is not sent (files.scanning).
        reason = access.withheld(stored, request.user)
        if reason:
            return withheld_json(stored, reason)
        response = delivery.serve(request._request, stored)
        audit.record(request._request, stored, response)
        return response


PARENT_PARAM = OpenApiParameter(
    "parent", OpenApiTypes.UUID, description="A folder's subfolders; absent: your top level."
)


class FolderListView(generics.ListCreateAPIView):
    """GET: a page of folders; POST: a new folder."""

    serializer_class = s.FolderSerializer
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[Folder]:
        user, parent_id = self.request.user, query_id(self.request, "parent")
        if parent_id is not None:
            parent = find(access.readable_folders(user), parent_id)
            folders = access.readable_folders(user).filter(parent=parent)
        else:
            folders = access.owned_folders(user).filter(parent=None)
        return folders.select_related("owner").order_by(Lower("name"), "pk")

    @extend_schema(parameters=[PARENT_PARAM])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.FolderCreateSerializer, responses={201: s.FolderSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        wanted = s.FolderCreateSerializer(data=request.data)
        wanted.is_valid(raise_exception=True)
        parent = target_folder(request.user, wanted.validated_data.get("parent"))
        owner = parent.owner if parent else request.user
        try:
            folder = tree.create_folder(owner, parent, wanted.validated_data["name"])
        except ValidationError as error:
            raise Refused("name", error) from None
        return Response(s.FolderSerializer(folder).data, status=status.HTTP_201_CREATED)


class FolderDetailView(generics.RetrieveUpdateDestroyAPIView):
    """A folder you may see (GET), rename or move (PATCH) or delete (DELETE, with all below it).

    DELETE as the browser's (access.deletable_folders): the owner, or an editor
    strictly inside a share, never the shared folder itself (404, as for PATCH).
    """

    serializer_class = s.FolderSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Folder]:
        user, method = self.request.user, self.request.method
        if method == "DELETE":
            folders = access.deletable_folders(user)
        elif method == "PATCH":
            # An editor renames and moves what is inside the shared folder, not the folder itself.
            folders = access.movable_folders(user)
        else:
            folders = access.readable_folders(user)
        return folders.select_related("owner")

    def get_object(self) -> Folder:
        return find(self.get_queryset(), self.kwargs["pk"])

    @extend_schema(request=s.FolderChangeSerializer, responses=s.FolderSerializer)
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        folder = self.get_object()
        change = s.FolderChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        wanted = change.validated_data
        with transaction.atomic():  # a refused move undoes the rename
            if "parent" in wanted:
                target = target_folder(request.user, wanted["parent"])
                try:
                    # Before move_folder, which takes another owner's folder for a bug (ValueError).
                    tree.check_move(request.user, folder.owner_id, folder.path, target)
                    tree.move_folder(folder, target, by=request.user)
                except ValidationError as error:
                    raise Refused("parent", error) from None
            if "name" in wanted:
                try:
                    tree.rename_folder(folder, wanted["name"])
                except ValidationError as error:
                    raise Refused("name", error) from None
        folder.refresh_from_db()
        return Response(s.FolderSerializer(folder).data)

    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.MethodNotAllowed("PUT")

    def perform_destroy(self, instance: Folder) -> None:
        trash.trash_folder(instance, by=self.request.user)


class FolderContentsView(APIView):
    """How many folders and files lie below a folder, and their bytes."""

    @extend_schema(responses=s.ContentsSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        folder = find(access.readable_folders(request.user), pk)
        found = tree.contents(folder)
        return Response({"folders": found.folders, "files": found.files, "bytes": found.bytes})
