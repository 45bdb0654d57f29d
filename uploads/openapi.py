"""OpenAPI documentation of the tus endpoints: their request and response headers and every status.

drf-spectacular documents no HEAD or OPTIONS operation (it skips those methods), so the HEAD (offset) and
OPTIONS (discovery) requests are described in the endpoints' descriptions instead.
"""

from __future__ import annotations

import hashlib

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from core.schema import problem
from uploads.tus import CHECKSUM_ALGORITHMS, OFFSET_CONTENT_TYPE, TUS_VERSION


def _header(name: str, description: str, *, required: bool = False, schema: dict | None = None) -> OpenApiParameter:
    return OpenApiParameter(
        name, schema or OpenApiTypes.STR, OpenApiParameter.HEADER, required=required, description=description
    )


def _response_header(name: str, description: str, statuses: list[int], schema: dict | None = None) -> OpenApiParameter:
    return OpenApiParameter(
        name, schema or OpenApiTypes.STR, OpenApiParameter.HEADER, description=description, response=statuses
    )


_SIZE = {"type": "integer", "minimum": 0, "format": "int64"}
_TUS_RESUMABLE = _header(
    "Tus-Resumable",
    "The protocol version: 1.0.0 (412 otherwise).",
    required=True,
    schema={"type": "string", "enum": [TUS_VERSION]},
)


def _checksum_pattern() -> str:
    """`<algorithm> <base64 digest>` with the digest's exact base64 length (uploads.tus.parse_checksum)."""
    forms = []
    for algorithm in CHECKSUM_ALGORITHMS:
        size = hashlib.new(algorithm, usedforsecurity=False).digest_size
        padding = (3 - size % 3) % 3
        forms.append(f"{algorithm} [A-Za-z0-9+/]{{{(size + padding) // 3 * 4 - padding}}}{'=' * padding}")
    return f"^({'|'.join(forms)})$"


_CHECKSUM = _header(
    "Upload-Checksum",
    f"`<algorithm> <base64 digest>` of this request's body; algorithms: {', '.join(CHECKSUM_ALGORITHMS)}. "
    "A mismatch answers 460 and discards the body.",
    schema={"type": "string", "pattern": _checksum_pattern()},
)
_BODY = {OFFSET_CONTENT_TYPE: {"type": "string", "format": "binary"}}

_PROBLEMS = {
    412: problem("Tus-Resumable missing or not 1.0.0 (the response names the supported `Tus-Version`)."),
    415: problem(f"The body is not {OFFSET_CONTENT_TYPE}."),
    460: problem("Checksum mismatch: the body did not match Upload-Checksum and was discarded."),
    507: problem("The storage is full: the bytes stored before are kept (HEAD for the offset)."),
}


def _tus_headers(statuses: list[int]) -> list[OpenApiParameter]:
    return [
        _response_header("Tus-Resumable", "Always 1.0.0.", statuses),
        _response_header("Tus-Version", "The protocol versions this server speaks (1.0.0).", [412]),
    ]


def _state_headers(statuses: list[int]) -> list[OpenApiParameter]:
    return [
        _response_header("Upload-Offset", "Bytes received so far.", statuses, _SIZE),
        _response_header("Upload-Expires", "When the unfinished upload expires (HTTP-date).", statuses),
        _response_header("Upload-File-Id", "The id of the file the upload became, once complete.", statuses),
    ]


upload_create_schema = extend_schema(
    operation_id="uploads_create",
    summary="Create a tus upload (creation, creation-with-upload)",
    description=(
        "tus 1.0.0 creation. `Upload-Length` is the size of the whole file; `Upload-Metadata` carries "
        "`filename` and `filetype` (base64 values). A body sent as application/offset+octet-stream is the "
        "first chunk (creation-with-upload). Discovery: `OPTIONS /api/v1/uploads/` (no authentication) "
        "answers 204 with `Tus-Version`, `Tus-Extension`, `Tus-Max-Size`, `Tus-Checksum-Algorithm`."
    ),
    tags=["uploads"],
    parameters=[
        _TUS_RESUMABLE,
        _header(
            "Upload-Length",
            "Size of the whole upload in bytes (at most Tus-Max-Size); required unless deferred or final.",
            schema=_SIZE,
        ),
        _header(
            "Upload-Defer-Length",
            "`1`: the length comes with a later PATCH (creation-defer-length).",
            schema={"type": "string", "enum": ["1"]},
        ),
        _header(
            "Upload-Concat",
            "`partial` for a piece of a parallel upload (never a file by itself), or `final;<url> <url>...` "
            "naming the caller's finished partial uploads in order: the final upload becomes the file at once "
            "(201 with Upload-File-Id). A final upload takes no Upload-Length and no body.",
        ),
        _header("Upload-Metadata", "Comma-separated `key base64value` pairs, e.g. `filename` and `filetype`."),
        _CHECKSUM,
        _response_header("Location", "URL of the new upload: HEAD, PATCH and DELETE it.", [201]),
        *_tus_headers([201, 400, 401, 409, 412, 413, 415, 429, 460, 507]),
        *_state_headers([201]),
    ],
    request=_BODY,
    responses={
        201: OpenApiResponse(description="Created; `Location` names the upload."),
        400: problem(
            "Upload-Length missing or invalid, a bad Upload-Defer-Length, Upload-Metadata, Upload-Checksum or "
            "Upload-Concat, or a final naming what is not the caller's finished partial upload."
        ),
        409: problem("A partial upload named by the final is being written to."),
        413: problem("Upload-Length over Tus-Max-Size or the quota, or a first chunk past Upload-Length."),
        **_PROBLEMS,
    },
)

upload_append_schema = extend_schema(
    operation_id="uploads_append",
    summary="Append bytes at Upload-Offset (tus PATCH)",
    description=(
        "Appends the body at `Upload-Offset`, which must equal the upload's offset (409 otherwise; also 409 "
        "`upload_locked` while another request writes to it). A body cut off midway keeps the bytes that "
        "arrived. `HEAD` on this URL answers 200 with `Upload-Offset`, `Upload-Length`, `Upload-Expires`, "
        "`Upload-Metadata`, `Upload-File-Id` (once complete), `Upload-Defer-Length: 1` while the length is unknown, "
        "`Upload-Concat` for partial and final uploads, and `Cache-Control: no-store`. Another instance "
        "may take the next PATCH: with an S3 storage the bytes live in the bucket."
    ),
    tags=["uploads"],
    parameters=[
        _TUS_RESUMABLE,
        _header("Upload-Offset", "The offset this body starts at.", required=True, schema=_SIZE),
        _header("Upload-Length", "A deferred upload's length, sent once (creation-defer-length).", schema=_SIZE),
        _CHECKSUM,
        *_tus_headers([204, 400, 401, 403, 404, 409, 410, 412, 413, 415, 429, 460, 507]),
        *_state_headers([204]),
        _response_header("Upload-Expires", "When the upload expired.", [410]),
    ],
    request=_BODY,
    responses={
        204: OpenApiResponse(description="Appended; `Upload-Offset` is the new offset."),
        400: problem("Upload-Offset missing or invalid, a bad Upload-Checksum, or an Upload-Length already set."),
        403: problem("A final (concatenated) upload takes no PATCH."),
        409: problem("Upload-Offset does not match the upload's offset, or another request is writing to it."),
        410: problem("The upload expired."),
        413: problem("The body goes past Upload-Length."),
        **_PROBLEMS,
    },
)

upload_terminate_schema = extend_schema(
    operation_id="uploads_terminate",
    summary="Terminate a tus upload",
    description="Deletes the upload and its bytes (a file it already became stays).",
    tags=["uploads"],
    parameters=[_TUS_RESUMABLE, *_tus_headers([204, 401, 404, 409, 412, 429])],
    request=None,
    responses={
        204: OpenApiResponse(description="Terminated."),
        409: problem("Another request is writing to the upload."),
        412: _PROBLEMS[412],
    },
)
