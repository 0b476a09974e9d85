"""What the API shows of files, folders, shares and links, and what it accepts.

Input serializers check types and shapes only; the rules (names, moves,
quotas, who may share) stay in the rooms, which the views call.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from files.models import Folder, Link, Share, UploadedFile


class ErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="The field at fault; null: the request."
    )
    message = serializers.CharField()
    code = serializers.CharField(help_text="Stable: too_large, over_quota, name_taken, ...")


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


class FileSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    folder = serializers.UUIDField(source="folder_id", allow_null=True, read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = UploadedFile
        fields = ["id", "name", "size", "content_type", "sha256", "sha1", "folder", "owner",
                  "created", "modified", "download_url"]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, stored: UploadedFile) -> str:
        return reverse("api:file-download", args=[stored.pk])


class UploadSerializer(serializers.Serializer):
    """The multipart body of an upload (for the schema: the intake checks the file)."""

    file = serializers.FileField(help_text="One file; its name is the part's filename.")
    folder = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="A folder you may add to; absent: your top level.",
    )


class FileChangeSerializer(serializers.Serializer):
    # Not trimmed here: the name rules (files.names) clean it, as for every door.
    name = serializers.CharField(
        required=False, max_length=255, trim_whitespace=False, help_text="Rename the file."
    )
    folder = serializers.UUIDField(
        required=False, allow_null=True, help_text="Move the file there; null: the top level."
    )


class FolderSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    parent = serializers.UUIDField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Folder
        fields = ["id", "name", "parent", "owner", "created"]
        read_only_fields = fields


class FolderCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, trim_whitespace=False)
    parent = serializers.UUIDField(
        required=False, allow_null=True, help_text="A folder you may add to; absent: top level."
    )


class FolderChangeSerializer(serializers.Serializer):
    name = serializers.CharField(
        required=False, max_length=255, trim_whitespace=False, help_text="Rename the folder."
    )
    parent = serializers.UUIDField(
        required=False, allow_null=True, help_text="Move the folder there; null: the top level."
    )


class ContentsSerializer(serializers.Serializer):
    """What lies below a folder: what deleting it would remove."""

    folders = serializers.IntegerField(help_text="Folders below it, not counting itself.")
    files = serializers.IntegerField()
    bytes = serializers.IntegerField()


class ItemFields(serializers.Serializer):
    """Exactly one of `file` and `folder`: what is shared or linked."""

    file = serializers.UUIDField(required=False, allow_null=True)
    folder = serializers.UUIDField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("file") is None) == (attrs.get("folder") is None):
            raise serializers.ValidationError("Give one of file and folder.", code="one_item")
        return attrs


class ShareSerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient.username", read_only=True)
    owner = serializers.SerializerMethodField()
    file = serializers.UUIDField(source="file_id", allow_null=True, read_only=True)
    folder = serializers.UUIDField(source="folder_id", allow_null=True, read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = Share
        fields = ["id", "file", "folder", "name", "owner", "recipient", "role", "created"]
        read_only_fields = fields

    def get_owner(self, granted: Share) -> str:
        return granted.item.owner.username

    def get_name(self, granted: Share) -> str:
        return granted.item.name


class ShareCreateSerializer(ItemFields):
    recipient = serializers.CharField(max_length=254, help_text="Username or email.")
    role = serializers.ChoiceField(choices=Share.Role.choices, default=Share.Role.VIEWER)


class LinkSerializer(serializers.ModelSerializer):
    file = serializers.UUIDField(source="file_id", allow_null=True, read_only=True)
    folder = serializers.UUIDField(source="folder_id", allow_null=True, read_only=True)
    has_password = serializers.SerializerMethodField()

    class Meta:
        model = Link
        fields = ["id", "file", "folder", "kind", "label", "expires", "has_password",
                  "download_limit", "downloads", "revoked", "created"]  # fmt: skip
        read_only_fields = fields

    def get_has_password(self, link: Link) -> bool:
        return bool(link.password)


class NewLinkSerializer(LinkSerializer):
    url = serializers.URLField(
        read_only=True, help_text="The link itself: shown this once, only its hash is kept."
    )

    class Meta(LinkSerializer.Meta):
        fields = [*LinkSerializer.Meta.fields, "url"]
        read_only_fields = fields


class LinkCreateSerializer(ItemFields):
    kind = serializers.ChoiceField(choices=Link.Kind.choices, default=Link.Kind.DOWNLOAD)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    expires = serializers.DateTimeField(required=False, allow_null=True, default=None)
    password = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, write_only=True
    )
    download_limit = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**31 - 1
    )

    def validate_expires(self, expires: Any) -> Any:
        # As the browser's LinkForm: a link that is closed at birth is a mistake.
        if expires is not None and expires <= timezone.now():
            raise serializers.ValidationError("Pick a time in the future.", code="expired")
        return expires
