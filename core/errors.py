"""The application's error hierarchy: domain code (services, selectors) raises only these, never DRF's
exceptions; core.exception_handler renders them as problem+json.

Each error carries its HTTP status and a stable machine-readable `code` for clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApplicationError(Exception):
    status_code = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict | None = None,
        extensions: dict[str, Any] | None = None,
    ):
        self.detail = detail or self.title
        if code:
            self.code = code
        self.headers = headers or {}
        self.extensions = extensions or {}  # RFC 9457 extension members of this problem type
        super().__init__(self.detail)


class ValidationError(ApplicationError):
    """Invalid input found by domain code, rendered like a serializer's errors (API.md: `errors` list).

    `errors` maps a field (dotted for nested parts: `value.servers.0`) to a message or a list of them, or to
    a nested mapping; a message is a str (its code is `code`) or anything with its own `.code` attribute
    (a serializer's ErrorDetail).
    """

    status_code = 400
    code = "validation_error"
    title = "Bad Request"

    def __init__(self, errors: Mapping[str, Any], *, code: str = "invalid"):
        self.errors = errors
        self.field_code = code
        super().__init__("The request has invalid fields.")


class AuthenticationError(ApplicationError):
    status_code = 401
    code = "authentication_failed"
    title = "Unauthorized"


class NotFoundError(ApplicationError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class PermissionDeniedError(ApplicationError):
    status_code = 403
    code = "permission_denied"
    title = "Permission denied"


class ConflictError(ApplicationError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class GoneError(ApplicationError):
    status_code = 410
    code = "gone"
    title = "Gone"


class PreconditionFailedError(ApplicationError):
    status_code = 412
    code = "precondition_failed"
    title = "Precondition failed"


class PayloadTooLargeError(ApplicationError):
    status_code = 413
    code = "payload_too_large"
    title = "Payload too large"


class UnsupportedMediaTypeError(ApplicationError):
    status_code = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class RangeNotSatisfiableError(ApplicationError):
    status_code = 416
    code = "range_not_satisfiable"
    title = "Range not satisfiable"


class PreconditionRequiredError(ApplicationError):
    status_code = 428
    code = "precondition_required"
    title = "Precondition required"


class TooManyRequestsError(ApplicationError):
    status_code = 429
    code = "throttled"  # the one 429 code, the same as DRF's throttles answer
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, code: str | None = None):
        super().__init__(detail, code=code, headers={"Retry-After": str(max(1, int(retry_after)))})


class ServiceUnavailableError(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    title = "Service unavailable"


class InsufficientStorageError(ApplicationError):
    status_code = 507
    code = "insufficient_storage"
    title = "Insufficient storage"
