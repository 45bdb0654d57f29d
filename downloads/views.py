"""Files and downloads API: thin views over selectors and services; bytes go through serving.serve_file."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core import cache
from core.errors import ApplicationError, PreconditionFailedError
from core.schema import problem
from core.views import ApiViewSet, validated
from downloads import selectors, services
from downloads.links import link_resolve
from downloads.models import Download, File, FileLink
from downloads.serializers import (
    DownloadCompleteInputSerializer,
    DownloadCreateInputSerializer,
    DownloadOutputSerializer,
    DownloadProgressInputSerializer,
    FileLinkInputSerializer,
    FileLinkItemOutputSerializer,
    FileLinkOutputSerializer,
    FileOutputSerializer,
    FileUploadInputSerializer,
)
from downloads.serving import evaluate_preconditions, serve_file
from downloads.uploading import StoringUploadHandler


class LengthRequiredError(ApplicationError):
    status_code = 411
    code = "length_required"
    title = "Length required"


class IgnoreAcceptNegotiation(BaseContentNegotiation):
    """Byte endpoints answer with the file whatever Accept says; their errors are always problem+json."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


_HEADER = OpenApiTypes.STR
_BYTES_HEADERS = [
    OpenApiParameter(name, _HEADER, OpenApiParameter.HEADER, required=False)
    for name in ("Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since")
]
_BYTES_RESPONSES = {
    (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The whole content."),
    (206, "*/*"): OpenApiResponse(
        OpenApiTypes.BINARY, description="One range (Content-Range), or several as multipart/byteranges."
    ),
    302: OpenApiResponse(description="To a presigned bucket URL (S3 storage with FILES_S3_REDIRECT)."),
    304: OpenApiResponse(description="Not modified (If-None-Match / If-Modified-Since)."),
    412: problem("If-Match or If-Unmodified-Since failed."),
    416: problem("No satisfiable range; Content-Range: bytes */size."),
}


class BytesNegotiationMixin:
    """The byte actions ignore Accept (IgnoreAcceptNegotiation); the others negotiate as usual."""

    bytes_actions = frozenset({"content"})

    def get_content_negotiator(self):
        if getattr(self, "action", None) in self.bytes_actions:
            return IgnoreAcceptNegotiation()
        return super().get_content_negotiator()  # type: ignore[misc]


def _download_body(download: Download, request: Request) -> dict:
    return DownloadOutputSerializer(download, context={"request": request}).data


class FileViewSet(BytesNegotiationMixin, ApiViewSet):
    """The caller's files: upload (multipart, streamed to storage), list, get, delete, and their bytes."""

    queryset = File.objects.none()  # for the schema generator only; reads go through selectors
    parser_classes = [MultiPartParser]  # the upload; a content PUT is read raw, past every parser
    lookup_url_kwarg = "file_id"
    lookup_value_converter = "uuid"

    def initialize_request(self, request, *args, **kwargs):
        # Before anything can parse the body, so the file streams through the hashing handler only.
        if request.method == "POST" and self.action_map.get("post") == "create":
            request.upload_handlers = [StoringUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def prefetch_cache_keys(self, kwargs: dict[str, str], *, api_key: bool) -> list[str]:
        """The plain list (no query string) of a Bearer token's user: their file-list marker, read in the
        authentication's round trip (core.cache.view_prefetch_keys)."""
        user_id = getattr(self.request, "credential_user_id", "")
        if self.action != "list" or api_key or not user_id or self.request.META.get("QUERY_STRING"):
            return []
        return [selectors.file_list_marker_key(user_id)]

    @extend_schema(summary="The caller's files", responses={200: FileOutputSerializer(many=True)})
    def list(self, request: Request) -> Response | HttpResponse:
        marker = self._plain_list_marker(request)
        if marker is not None:
            return self._plain_list(request, marker)
        page = self.paginate_queryset(selectors.file_list_for(user=request.user))
        return self.get_paginated_response(FileOutputSerializer(page, many=True).data)

    def _plain_list_marker(self, request: Request) -> str | None:
        """The marker to remember the plain list under ("": remember nothing), or None unless this is the plain
        list: the caller's own files, page 1 as plain JSON, their marker read by the authentication."""
        prefetched = getattr(request, "prefetched_cache", None)
        if prefetched is None or request.META.get("QUERY_STRING") or selectors.manages_all(request.user):
            return None
        owner_id = str(request.user.pk)
        if owner_id != getattr(request, "credential_user_id", None) or not _plain_json(request):
            return None
        key = selectors.file_list_marker_key(owner_id)
        return cache.storable_marker(key, prefetched, selectors.FILE_LIST_MARKER_TTL)

    def _plain_list(self, request: Request, marker: str) -> HttpResponse:
        """The plain list's body as this process remembers it under the marker, else rendered (exactly as the
        list's Response would render it) and remembered."""
        owner_id, url = str(request.user.pk), request.build_absolute_uri()
        body = selectors.remembered_file_list(owner_id, marker, url)
        if body is None:
            page = self.paginate_queryset(selectors.file_list_for(user=request.user))
            data = self.get_paginated_response(FileOutputSerializer(page, many=True).data).data
            body = request.accepted_renderer.render(data, request.accepted_media_type, self.get_renderer_context())
            selectors.file_list_remember(owner_id, marker, url, body)
        return HttpResponse(body, content_type=request.accepted_media_type)

    @extend_schema(
        summary="Upload a file (multipart/form-data, field `file`), streamed to storage",
        request={"multipart/form-data": FileUploadInputSerializer},
        responses={
            201: FileOutputSerializer,
            413: problem("Larger than MAX_UPLOAD_SIZE (`payload_too_large`) or over quota (`quota_exceeded`)."),
            415: problem("Not multipart/form-data."),
            507: problem("The storage is full; nothing was kept."),
        },
    )
    def create(self, request: Request) -> Response:
        if not (request.content_type or "").startswith("multipart/form-data"):
            raise UnsupportedMediaType(request.content_type or "")
        handler = request.upload_handlers[0]
        try:
            upload = validated(FileUploadInputSerializer, request)["file"]
            file = services.file_create_from_blob(
                owner=request.user, name=upload.name, writer=upload.writer, request=request
            )
        except BaseException:
            handler.discard()
            raise
        return Response(FileOutputSerializer(file).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="One of the caller's files", responses={200: FileOutputSerializer})
    def retrieve(self, request: Request, file_id) -> Response:
        return Response(FileOutputSerializer(selectors.file_get_for(user=request.user, file_id=file_id)).data)

    @extend_schema(summary="Delete a file (its links and downloads go with it)", responses={204: None})
    def destroy(self, request: Request, file_id) -> Response:
        services.file_delete(file=selectors.file_get_for(user=request.user, file_id=file_id), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="The file's bytes", parameters=_BYTES_HEADERS, responses=_BYTES_RESPONSES)
    @action(detail=True, methods=["get"])
    def content(self, request: Request, file_id):
        return serve_file(request._request, selectors.file_get_for(user=request.user, file_id=file_id))

    @extend_schema(
        summary="Replace the content (raw body): a new sha256 and ETag",
        request={"application/octet-stream": OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("If-Match", _HEADER, OpenApiParameter.HEADER, required=False)],
        responses={
            200: FileOutputSerializer,
            411: problem("Content-Length is required."),
            412: problem("If-Match does not match the current ETag."),
            413: problem("Larger than MAX_UPLOAD_SIZE or over quota."),
            507: problem("The storage is full; the content is unchanged."),
        },
    )
    @content.mapping.put
    def content_replace(self, request: Request, file_id) -> Response:
        file = selectors.file_get_for(user=request.user, file_id=file_id)
        evaluate_preconditions(request._request, file)  # a PUT never gets 304: only 412 or go on
        file = services.file_replace_from_body(
            file=file,
            read=request._request.read,  # the raw body, bypassing DRF's parsers
            length=_declared_length(request),
            expected_sha256=file.sha256 if _has_preconditions(request) else None,
            request=request,
        )
        return Response(FileOutputSerializer(file).data)


def _plain_json(request: Request) -> bool:
    """JSON as the default renderer writes it: not another renderer, nor parameters such as `indent=4`."""
    renderer = request.accepted_renderer
    return type(renderer) is JSONRenderer and request.accepted_media_type == renderer.media_type


def _has_preconditions(request: Request) -> bool:
    return any(name in request.META for name in ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_NONE_MATCH"))


def _declared_length(request: Request) -> int:
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw.isdigit():
        raise LengthRequiredError("Send the body with a Content-Length.")
    return int(raw)


class FileLinkViewSet(ApiViewSet):
    """Signed links to one of the caller's files: create, list the live ones (never their URLs), revoke."""

    queryset = FileLink.objects.none()  # for the schema generator only; reads go through selectors
    lookup_url_kwarg = "link_id"
    lookup_value_converter = "uuid"

    def _file(self) -> File:
        return selectors.file_get_for(user=self.request.user, file_id=self.kwargs["file_id"])

    @extend_schema(
        summary="The file's live signed links (never their URLs)",
        responses={200: FileLinkItemOutputSerializer(many=True)},
    )
    def list(self, request: Request, file_id) -> Response:
        page = self.paginate_queryset(selectors.link_list_for(file=self._file()))
        return self.get_paginated_response(FileLinkItemOutputSerializer(page, many=True).data)

    @extend_schema(summary="Revoke a signed link: it answers 410 at once", responses={204: None})
    def destroy(self, request: Request, file_id, link_id) -> Response:
        services.link_revoke(link=selectors.link_get_for(file=self._file(), link_id=link_id), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Create a signed link to the file's current content",
        request=FileLinkInputSerializer,
        responses={201: FileLinkOutputSerializer},
    )
    def create(self, request: Request, file_id) -> Response:
        file = selectors.file_get_for(user=request.user, file_id=file_id)
        expires_in = validated(FileLinkInputSerializer, request)["expires_in"]
        link, token = services.link_create(file=file, expires_in=expires_in, request=request)
        url = request.build_absolute_uri(reverse("v1:downloads-link-detail", args=[token]))
        body = FileLinkOutputSerializer({"id": link.id, "url": url, "token": token, "expires_at": link.expires_at}).data
        return Response(body, status=status.HTTP_201_CREATED)


class LinkContentViewSet(BytesNegotiationMixin, ApiViewSet):
    """The bytes behind a signed link: the signature is the credential."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    lookup_url_kwarg = "token"
    lookup_value_converter = "str"
    bytes_actions = frozenset({"retrieve"})

    @extend_schema(
        summary="The bytes behind a signed link (no authentication)",
        auth=[],
        parameters=_BYTES_HEADERS,
        responses={
            **_BYTES_RESPONSES,
            403: problem("The link is invalid (tampered)."),
            410: problem("The link has expired or was revoked."),
        },
    )
    def retrieve(self, request: Request, token: str):
        return serve_file(request._request, link_resolve(token))


class DownloadViewSet(BytesNegotiationMixin, ApiViewSet):
    """The caller's resumable downloads, pinned to the version they started on."""

    queryset = Download.objects.none()  # for the schema generator only; reads go through selectors
    lookup_url_kwarg = "download_id"
    lookup_value_converter = "uuid"

    def _download(self) -> Download:
        return selectors.download_get_for(user=self.request.user, download_id=self.kwargs["download_id"])

    @extend_schema(summary="The caller's downloads with progress", responses={200: DownloadOutputSerializer(many=True)})
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.download_list_for(user=request.user))
        return self.get_paginated_response(DownloadOutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Start a download of a file's current version",
        request=DownloadCreateInputSerializer,
        responses={201: DownloadOutputSerializer, 404: problem("No such file (or not the caller's).")},
    )
    def create(self, request: Request) -> Response:
        file_id = validated(DownloadCreateInputSerializer, request)["file"]
        file = selectors.file_get_for(user=request.user, file_id=file_id)
        download = services.download_create(owner=request.user, file=file)
        return Response(_download_body(download, request), status=status.HTTP_201_CREATED)

    @extend_schema(summary="One download with its progress", responses={200: DownloadOutputSerializer})
    def retrieve(self, request: Request, download_id) -> Response:
        return Response(_download_body(self._download(), request))

    @extend_schema(
        summary="Report verified progress (next_offset becomes bytes_received)",
        request=DownloadProgressInputSerializer,
        responses={
            200: DownloadOutputSerializer,
            400: problem("Invalid body, or bytes_received outside 0..size (`beyond_size` on `bytes_received`)."),
            409: problem("Completed or stale."),
        },
    )
    def partial_update(self, request: Request, download_id) -> Response:
        download = self._download()
        data = validated(DownloadProgressInputSerializer, request)
        return Response(_download_body(services.download_update_progress(download=download, **data), request))

    @extend_schema(summary="Forget a download", responses={204: None})
    def destroy(self, request: Request, download_id) -> Response:
        services.download_delete(download=self._download())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Verify the downloaded bytes: completed, or 409 and failed",
        request=DownloadCompleteInputSerializer,
        responses={200: DownloadOutputSerializer, 409: problem("sha256 mismatch (now failed), or not open.")},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, download_id) -> Response:
        download = self._download()
        sha256 = validated(DownloadCompleteInputSerializer, request)["sha256"]
        return Response(
            _download_body(services.download_complete(download=download, sha256=sha256, request=request), request)
        )

    @extend_schema(
        summary="The bytes of the version the download is pinned to",
        parameters=_BYTES_HEADERS,
        responses={**_BYTES_RESPONSES, 412: problem("A precondition failed, or the file changed (`download_stale`).")},
    )
    @action(detail=True, methods=["get"])
    def content(self, request: Request, download_id):
        download = self._download()
        if download.etag != download.file.etag:  # a resume must never stitch two versions
            raise PreconditionFailedError("The file has changed since this download began.", code="download_stale")
        return serve_file(request._request, download.file)
