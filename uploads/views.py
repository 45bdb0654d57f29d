"""tus 1.0.0 endpoints: thin views over uploads.services; the protocol's headers are parsed in uploads.tus.

No DRF parser ever sees a body here: PATCH (and POST with creation-with-upload) bodies are streamed from
the WSGI input straight into the partial file by the service.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError, PayloadTooLargeError
from core.views import ApiViewSet
from uploads import openapi, services
from uploads.models import Concat, Upload
from uploads.selectors import upload_get_for_user
from uploads.tus import (
    CHECKSUM_ALGORITHMS,
    TUS_EXTENSIONS,
    TUS_VERSION,
    ensure_offset_content_type,
    ensure_tus_version,
    parse_checksum,
    parse_concat,
    parse_metadata,
    parse_non_negative,
)

_REASONS = {460: "Checksum Mismatch"}  # not in http.HTTPStatus, so Django would say "Unknown Status Code"


def _method(view: ApiViewSet) -> str | None:
    request = getattr(view, "request", None)  # None while drf-spectacular inspects the view
    return request.method if request is not None else None


def _body(request: Request) -> tuple[Callable[[int], bytes], int | None]:
    """The raw body as a bounded reader, and its declared length (None for a chunked body)."""
    django_request = request._request
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return request.META["wsgi.input"].read, None  # the server de-chunks; Django would see no body
    return django_request.read, parse_non_negative(request.META.get("CONTENT_LENGTH") or "0", "Content-Length")


def _state_headers(upload: Upload) -> dict[str, str]:
    headers = {"Upload-Offset": str(upload.offset)}
    if upload.file_id is not None:
        headers["Upload-File-Id"] = str(upload.file_id)
    else:  # unfinished, or a finished partial upload waiting for its final
        headers["Upload-Expires"] = services.upload_expires_header(upload)
    return headers


def _length_headers(request: Request, upload: Upload) -> dict[str, str]:
    headers = {"Upload-Defer-Length": "1"} if upload.length is None else {"Upload-Length": str(upload.length)}
    if upload.concat == Concat.PARTIAL:
        headers["Upload-Concat"] = "partial"
    elif upload.concat == Concat.FINAL:
        urls = (request.build_absolute_uri(reverse("v1:uploads-upload-detail", args=[pk])) for pk in upload.concat_of)
        headers["Upload-Concat"] = "final;" + " ".join(urls)
    return headers


def _creation_length(request: Request) -> int | None:
    """Upload-Length, or None for `Upload-Defer-Length: 1` (creation-defer-length); one of them is required."""
    deferred = request.META.get("HTTP_UPLOAD_DEFER_LENGTH")
    if deferred is None:
        return parse_non_negative(request.headers.get("Upload-Length"), "Upload-Length")
    if deferred.strip() != "1" or "HTTP_UPLOAD_LENGTH" in request.META:
        raise ApplicationError(
            "Send either Upload-Length or Upload-Defer-Length: 1.", code="upload_defer_length_invalid"
        )
    return None


def _upload_ids(urls: list[str]) -> list[uuid.UUID]:
    """The upload ids a final upload's `Upload-Concat` names, as URLs of this server (absolute or paths)."""
    ids = []
    for url in urls:
        try:
            match = resolve(urlsplit(url).path)
        except (Resolver404, ValueError):  # ValueError: urlsplit refuses e.g. a malformed IPv6 host
            match = None
        if match is None or "upload_id" not in match.kwargs or not str(match.url_name or "").startswith("uploads-"):
            raise ApplicationError(f"Upload-Concat names {url[:200]!r}, not an upload.", code="concat_invalid")
        ids.append(match.kwargs["upload_id"])
    return ids


def _created(request: Request, upload: Upload) -> Response:
    location = request.build_absolute_uri(reverse("v1:uploads-upload-detail", args=[upload.pk]))
    return Response(status=status.HTTP_201_CREATED, headers={"Location": location, **_state_headers(upload)})


def _metadata_header(metadata: dict[str, str | None]) -> str:
    return ",".join(
        key if value is None else f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in metadata.items()
    )


class UploadViewSet(ApiViewSet):
    """tus uploads: creation (POST on the collection), offset (HEAD), append (PATCH) and termination
    (DELETE); unauthenticated OPTIONS discovery, the version check, `Tus-Resumable` on every response."""

    lookup_url_kwarg = "upload_id"
    lookup_value_converter = "uuid"
    queryset = Upload.objects.none()  # for the schema generator only; reads go through selectors

    def dispatch(self, request, *args, **kwargs):
        # Clients behind proxies that drop PATCH or DELETE send POST with X-HTTP-Method-Override
        # (tus-js-client's overridePatchMethod); CORS already lets browsers send that header.
        override = request.META.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").upper()
        if request.method == "POST" and override in ("PATCH", "DELETE"):
            request.method = override
        return super().dispatch(request, *args, **kwargs)

    def get_authenticators(self) -> list:
        # An OPTIONS request (tus discovery, CORS preflight) carries no credentials, and must not fail on any.
        return [] if _method(self) == "OPTIONS" else super().get_authenticators()

    def get_permissions(self) -> list:
        if _method(self) == "OPTIONS":
            return [permissions.AllowAny()]
        return super().get_permissions()

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS":
            ensure_tus_version(request.headers.get("Tus-Resumable"))

    def finalize_response(self, request: Request, response: Response, *args, **kwargs) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        if response.status_code in _REASONS:
            response.reason_phrase = _REASONS[response.status_code]
        return response

    def options(self, request: Request, *args, **kwargs) -> Response:
        return Response(
            status=status.HTTP_204_NO_CONTENT,
            headers={
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": ",".join(TUS_EXTENSIONS),
                "Tus-Max-Size": str(settings.MAX_UPLOAD_SIZE),
                "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
            },
        )

    @openapi.upload_create_schema
    def create(self, request: Request) -> Response:
        concat = parse_concat(request.headers.get("Upload-Concat"))
        metadata = parse_metadata(request.headers.get("Upload-Metadata"))
        if isinstance(concat, list):  # a final upload: made of partials at once, it takes no body
            if "HTTP_UPLOAD_LENGTH" in request.META or "HTTP_UPLOAD_DEFER_LENGTH" in request.META:
                raise ApplicationError("A final upload's length is its partials'.", code="concat_invalid")
            upload = services.upload_concatenate(
                owner=request.user, partial_ids=_upload_ids(concat), metadata=metadata, request=request
            )
            return _created(request, upload)
        length = _creation_length(request)
        checksum = parse_checksum(request.headers.get("Upload-Checksum"))
        read, content_length = _body(request)
        if content_length != 0:  # creation-with-upload
            ensure_offset_content_type(request.content_type)
            if content_length is not None and length is not None and content_length > length:
                raise PayloadTooLargeError("The body goes past Upload-Length.", code="upload_length_exceeded")
        upload = services.upload_create(
            owner=request.user, length=length, metadata=metadata, concat=concat, request=request
        )
        if content_length != 0:
            upload = services.upload_append(
                upload=upload, offset=0, read=read, content_length=content_length, checksum=checksum, request=request
            )
        return _created(request, upload)

    def offset(self, request: Request, upload_id: uuid.UUID) -> Response:
        upload = upload_get_for_user(user=request.user, upload_id=upload_id)
        services.ensure_upload_open(upload)
        headers = {"Cache-Control": "no-store", **_state_headers(upload), **_length_headers(request, upload)}
        if upload.metadata:
            headers["Upload-Metadata"] = _metadata_header(upload.metadata)
        return Response(status=status.HTTP_200_OK, headers=headers)

    @openapi.upload_append_schema
    def append(self, request: Request, upload_id: uuid.UUID) -> Response:
        ensure_offset_content_type(request.content_type)
        offset = parse_non_negative(request.headers.get("Upload-Offset"), "Upload-Offset")
        checksum = parse_checksum(request.headers.get("Upload-Checksum"))
        length = request.headers.get("Upload-Length")  # creation-defer-length: the length, once
        read, content_length = _body(request)
        upload = upload_get_for_user(user=request.user, upload_id=upload_id)
        upload = services.upload_append(
            upload=upload,
            offset=offset,
            read=read,
            content_length=content_length,
            checksum=checksum,
            length=None if length is None else parse_non_negative(length, "Upload-Length"),
            request=request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT, headers=_state_headers(upload))

    @openapi.upload_terminate_schema
    def terminate(self, request: Request, upload_id: uuid.UUID) -> Response:
        upload = upload_get_for_user(user=request.user, upload_id=upload_id)
        services.upload_terminate(upload=upload, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
