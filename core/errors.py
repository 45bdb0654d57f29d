"""The application's error hierarchy: domain code raises these, core.exceptions renders them.

Each error carries its HTTP status and a stable machine-readable `code` for clients.
"""

from __future__ import annotations


class ApplicationError(Exception):
    status_code = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, *, code: str | None = None, headers: dict | None = None):
        self.detail = detail or self.title
        if code:
            self.code = code
        self.headers = headers or {}
        super().__init__(self.detail)


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
    code = "too_many_requests"
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
