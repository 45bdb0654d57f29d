"""Signed links: an HMAC-signed token (Django's signing) naming the link row, the file, its ETag and expiry.

The signature makes tampering detectable without a lookup (403); the row makes links revocable: deleting
the file or replacing its content deletes the rows, and the bound ETag must still be the file's (410). A
revoked link (its row deleted) and the links of a deactivated owner answer 410 on the very next request.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils import timezone

from core.errors import GoneError, PermissionDeniedError
from downloads.models import File, FileLink

SALT = "downloads.link"


def link_token(link: FileLink) -> str:
    payload = {
        "l": link.id.hex,
        "f": link.file_id.hex,
        "e": link.etag.strip('"'),
        "x": int(link.expires_at.timestamp()),
    }
    # FILES_LINK_SIGNING_KEYS, not SECRET_KEY: rotating either leaves the other's tokens valid.
    return signing.dumps(payload, key=settings.FILES_LINK_SIGNING_KEYS[0], salt=SALT, compress=True)


def link_resolve(token: str) -> File:
    """The file a token grants, or 403 `link_invalid` (tampered) / 410 `link_expired` / 410 `link_revoked`."""
    try:
        keys = settings.FILES_LINK_SIGNING_KEYS
        payload = signing.loads(token, key=keys[0], fallback_keys=keys[1:], salt=SALT)
        link_id, file_id, etag, expires = payload["l"], payload["f"], payload["e"], int(payload["x"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise PermissionDeniedError("The link is invalid.", code="link_invalid") from None
    if expires <= timezone.now().timestamp():
        raise GoneError("The link has expired.", code="link_expired")
    link = FileLink.objects.select_related("file__owner").filter(id=link_id, file_id=file_id).first()
    if link is None or link.file.sha256 != etag or link.expires_at <= timezone.now() or not link.file.owner.is_active:
        raise GoneError("The link has been revoked or the file has changed.", code="link_revoked")
    return link.file
