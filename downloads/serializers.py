"""Data shapes of the files and downloads API (input and output separate, names unique project-wide)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import OutputModelSerializer, StrictSerializer
from downloads.models import Download, File, FileLink


class FileUploadInputSerializer(StrictSerializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)


class FileOutputSerializer(OutputModelSerializer):
    etag = serializers.CharField(read_only=True)

    class Meta:
        model = File
        fields = ["id", "name", "size", "content_type", "sha256", "etag", "created_at", "modified_at", "owner"]
        read_only_fields = fields


class FileLinkInputSerializer(StrictSerializer):
    expires_in = serializers.IntegerField(min_value=1, max_value=settings.FILES_LINK_MAX_AGE)


class FileLinkOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The link's id, to list or revoke it.")
    url = serializers.URLField()
    token = serializers.CharField(help_text="The signed token of `url` (GET /api/v1/d/{token}/), shown this once.")
    expires_at = serializers.DateTimeField()


class FileLinkItemOutputSerializer(serializers.ModelSerializer):
    """A live link as listed: never its URL again (the token is not stored)."""

    class Meta:
        model = FileLink
        fields = ["id", "expires_at", "created_at"]
        read_only_fields = fields


class DownloadCreateInputSerializer(StrictSerializer):
    file = serializers.UUIDField()


class DownloadProgressInputSerializer(StrictSerializer):
    bytes_received = serializers.IntegerField(min_value=0)


class DownloadCompleteInputSerializer(StrictSerializer):
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$")


class DownloadOutputSerializer(serializers.ModelSerializer):
    chunks = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="sha256 of each chunk.")
    next_offset = serializers.IntegerField(source="bytes_received", read_only=True)
    content_url = serializers.SerializerMethodField()

    class Meta:
        model = Download
        fields = [
            "id",
            "file",
            "status",
            "size",
            "sha256",
            "etag",
            "chunk_size",
            "chunks",
            "bytes_received",
            "next_offset",
            "content_url",
            "created_at",
            "updated_at",
            "completed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_content_url(self, download: Download) -> str:
        path = reverse("v1:downloads-download-content", args=[download.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
