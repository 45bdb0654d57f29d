"""The one implementation of API.md *Serving bytes* (RFC 9110 §13-14), used by every byte endpoint.

Django's `get_conditional_response` evaluates If-Match, If-Unmodified-Since, If-None-Match and
If-Modified-Since in the order of RFC 9110 §13.2.2. Neither Django nor DRF parses Range or If-Range, or
writes multipart/byteranges, so those are written here (werkzeug has a parser, but it is not a dependency
and would still leave the response side to us).

On the local file system a single range (or the whole file) is answered with a FileResponse over the
open file positioned at the range start and an exact Content-Length: gunicorn's `wsgi.file_wrapper`
then sends `Content-Length` bytes from the file's current offset with sendfile (zero copy).
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from core.errors import PreconditionFailedError, RangeNotSatisfiableError
from downloads.blobs import files_storage, header_content_type, local_path
from downloads.models import File

MAX_RANGES = 16
BLOCK_SIZE = 256 * 1024
_RANGE_SPEC = re.compile(r"\s*(?:([0-9]+)\s*-\s*([0-9]*)|-\s*([0-9]+))\s*")

Ranges = list[tuple[int, int]]


# Range numbers may have any number of digits (RFC 9110 §14.1.1), but int() refuses more than 4,300 and
# no file is this large: a number past it counts as CAP, and last < first is decided on the digits.
_CAP_DIGITS = 18
_CAP = 10**_CAP_DIGITS


def _digits(text: str) -> str:
    return text.lstrip("0") or "0"


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= _CAP_DIGITS else _CAP


def _below(a: str, b: str) -> bool:
    return (len(a), a) < (len(b), b)


def parse_range(header: str, size: int) -> Ranges | None:
    """Satisfiable (first, last) byte ranges of a Range header; None when it is to be ignored, [] for 416.

    Ignored: not `bytes`, syntactically invalid, or more than MAX_RANGES ranges.
    """
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    parts = [part for part in specs.split(",") if part.strip()]
    if not parts or len(parts) > MAX_RANGES:
        return None
    ranges: Ranges = []
    for part in parts:
        match = _RANGE_SPEC.fullmatch(part)
        if match is None:
            return None
        first_text, last_text, suffix_text = match.groups()
        if suffix_text is not None:
            suffix = _digits(suffix_text)
            if suffix != "0":
                ranges.append((max(0, size - _number(suffix)), size - 1))
            continue
        first = _digits(first_text)
        last = _digits(last_text) if last_text else None
        if last is not None and _below(last, first):
            return None
        if _number(first) < size:
            ranges.append((_number(first), min(_number(last), size - 1) if last is not None else size - 1))
    return ranges


def _if_range_passes(request: HttpRequest, file: File, last_modified: int) -> bool:
    value = request.META.get("HTTP_IF_RANGE")
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        return value == file.etag  # strong comparison: a weak tag never matches
    return parse_http_date_safe(value) == last_modified


def content_disposition(name: str) -> str:
    # RFC 6266 / RFC 8187: attr-chars stay literal, everything else percent-encoded UTF-8.
    return "attachment; filename*=UTF-8''" + quote(name, safe="!#$&+^`|")


def _representation_headers(response: HttpResponseBase, file: File, last_modified: int) -> None:
    response["ETag"] = file.etag
    response["Last-Modified"] = http_date(last_modified)
    response["Accept-Ranges"] = "bytes"
    response["Repr-Digest"] = file.repr_digest
    response["Content-Disposition"] = content_disposition(file.name)
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"


class _RangeReader:
    """At most `length` bytes of `stream` from its current position.

    `fileno` is exposed only for a local file (the sendfile path): gunicorn sends Content-Length bytes
    from the descriptor's current offset. Anything else (a socket-backed S3 body) must be read.
    """

    def __init__(self, stream: io.IOBase, length: int, *, local: bool):
        self._stream = stream
        self._left = length
        self._local = local

    def read(self, size: int = -1) -> bytes:
        size = self._left if size < 0 else min(size, self._left)
        data = self._stream.read(size) if size else b""
        self._left -= len(data)
        return data

    def fileno(self) -> int:
        if not self._local:
            raise io.UnsupportedOperation("not a local file")
        return self._stream.fileno()

    def close(self) -> None:
        self._stream.close()


def open_range(file: File, start: int, length: int) -> _RangeReader:
    """The blob's bytes start..start+length-1, read lazily from the storage."""
    path = local_path(file.storage_name)
    if path is not None:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the response
        handle.seek(start)
        return _RangeReader(handle, length, local=True)
    storage = files_storage()
    bucket = getattr(storage, "bucket", None)
    if bucket is not None and length > 0:  # S3: ask for just the range, streamed, instead of the whole object
        key = storage._normalize_name(file.storage_name)  # django-storages' own key mapping
        body = bucket.Object(key).get(Range=f"bytes={start}-{start + length - 1}")["Body"]
        return _RangeReader(body, length, local=False)
    handle = storage.open(file.storage_name, "rb")
    handle.seek(start)
    return _RangeReader(handle, length, local=False)


def _multipart(file: File, ranges: Ranges) -> tuple[list[bytes], bytes, int, str]:
    boundary = secrets.token_hex(16)
    heads = [
        (
            f"\r\n--{boundary}\r\nContent-Type: {header_content_type(file.content_type)}\r\n"
            f"Content-Range: bytes {first}-{last}/{file.size}\r\n\r\n"
        ).encode()
        for first, last in ranges
    ]
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = sum(map(len, heads)) + sum(last - first + 1 for first, last in ranges) + len(tail)
    return heads, tail, length, boundary


def _multipart_body(file: File, ranges: Ranges, heads: list[bytes], tail: bytes) -> Iterator[bytes]:
    for head, (first, last) in zip(heads, ranges, strict=True):
        yield head
        reader = open_range(file, first, last - first + 1)
        try:
            yield from iter(lambda r=reader: r.read(BLOCK_SIZE), b"")
        finally:
            reader.close()
    yield tail


def _chosen_ranges(request: HttpRequest, file: File, last_modified: int) -> Ranges | None:
    header = request.META.get("HTTP_RANGE")
    if header is None or file.size == 0 or not _if_range_passes(request, file, last_modified):
        return None
    ranges = parse_range(header, file.size)
    if ranges == []:
        raise RangeNotSatisfiableError(
            f"No range is satisfiable for a size of {file.size} bytes.",
            headers={"Content-Range": f"bytes */{file.size}"},
        )
    if ranges is not None and sum(last - first + 1 for first, last in ranges) > file.size:
        return None  # more bytes than the file: an amplification attempt
    return ranges


def _offloaded(file: File) -> HttpResponseBase | None:
    """The response when a front server (nginx) or the bucket itself sends the bytes, per settings."""
    local = local_path(file.storage_name) is not None
    if local and settings.FILES_ACCEL_REDIRECT_PREFIX:
        response = HttpResponse(content_type=header_content_type(file.content_type))
        response["X-Accel-Redirect"] = settings.FILES_ACCEL_REDIRECT_PREFIX + file.storage_name
        return response
    if not local and settings.FILES_S3_REDIRECT:
        parameters = {
            "ResponseContentDisposition": content_disposition(file.name),
            "ResponseContentType": header_content_type(file.content_type),
        }
        url = files_storage().url(file.storage_name, parameters=parameters, expire=300)
        response = HttpResponse(status=302)
        response["Location"] = url
        return response
    return None


def evaluate_preconditions(request: HttpRequest, file: File) -> HttpResponseBase | None:
    """If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since (RFC 9110 §13.2.2) against `file`.

    Raises 412 (problem+json); returns a 304 for a GET or HEAD that need not be answered; None to go on.
    """
    last_modified = int(file.modified_at.timestamp())
    conditional = get_conditional_response(request, etag=file.etag, last_modified=last_modified)
    if conditional is None:
        return None
    if conditional.status_code == 412:
        raise PreconditionFailedError("A precondition (If-Match / If-None-Match / If-Unmodified-Since) failed.")
    _representation_headers(conditional, file, last_modified)  # 304 Not Modified: the validators, no body
    del conditional["Content-Disposition"]
    return conditional


def serve_file(request: HttpRequest, file: File) -> HttpResponseBase:
    """Answer GET or HEAD for the bytes of `file` per API.md *Serving bytes*."""
    not_modified = evaluate_preconditions(request, file)
    if not_modified is not None:
        return not_modified
    last_modified = int(file.modified_at.timestamp())
    response = _offloaded(file)
    if response is None:
        response = _bytes_response(request, file, _chosen_ranges(request, file, last_modified))
    _representation_headers(response, file, last_modified)
    return response


def _bytes_response(request: HttpRequest, file: File, ranges: Ranges | None) -> HttpResponseBase:
    head = request.method == "HEAD"
    if ranges is not None and len(ranges) > 1:
        heads, tail, length, boundary = _multipart(file, ranges)
        content_type = f"multipart/byteranges; boundary={boundary}"
        if head:
            response: HttpResponseBase = HttpResponse(status=206, content_type=content_type)
        else:
            body = _multipart_body(file, ranges, heads, tail)
            response = StreamingHttpResponse(body, status=206, content_type=content_type)
        response["Content-Length"] = str(length)
        return response
    first, last = ranges[0] if ranges else (0, file.size - 1)
    length = last - first + 1
    status = 206 if ranges else 200
    if head or length == 0:
        response = HttpResponse(status=status, content_type=header_content_type(file.content_type))
    else:
        response = FileResponse(
            open_range(file, first, length), status=status, content_type=header_content_type(file.content_type)
        )
        response.block_size = BLOCK_SIZE  # the read() path (test client, S3); gunicorn uses sendfile
    response["Content-Length"] = str(length)
    if ranges:
        response["Content-Range"] = f"bytes {first}-{last}/{file.size}"
    return response
