from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

SLUG_PATTERN = r"[a-z0-9-]{1,64}"
KEY_PATTERN = r"[A-Za-z0-9_.-]{1,128}"
slug_validator = RegexValidator(rf"^{SLUG_PATTERN}\Z", "Use 1 to 64 of a-z, 0-9 and '-'.", code="invalid_slug")
key_validator = RegexValidator(rf"^{KEY_PATTERN}\Z", "Use 1 to 128 of A-Z, a-z, 0-9, '_', '.' and '-'.", "invalid_key")


class ValueType(models.TextChoices):
    STRING = "string", "String"
    INTEGER = "integer", "Integer"
    NUMBER = "number", "Number"
    BOOLEAN = "boolean", "Boolean"
    JSON = "json", "JSON"


class Namespace(models.Model):
    """One service or application whose configuration is kept here."""

    slug = models.CharField(max_length=64, unique=True, validators=[slug_validator])
    description = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Environment(models.Model):
    """A set of entries of one namespace (development, production, ...)."""

    namespace = models.ForeignKey(Namespace, on_delete=models.CASCADE, related_name="environments")
    slug = models.CharField(max_length=64, validators=[slug_validator])
    description = models.CharField(max_length=500, blank=True, default="")
    # Protected: entries change only through approved change requests (configurations.change_requests).
    protected = models.BooleanField(default=False)
    required_approvals = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [models.UniqueConstraint(fields=["namespace", "slug"], name="cfg_environment_unique_slug")]

    def __str__(self) -> str:
        return f"{self.namespace_id}/{self.slug}"


class Entry(models.Model):
    """The current value of one key. Secret values live only encrypted, in `value_encrypted`."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=128, validators=[key_validator])
    value_type = models.CharField(max_length=16, choices=ValueType.choices)
    value = models.JSONField(null=True, blank=True)
    value_encrypted = models.TextField(blank=True, default="")
    schema = models.JSONField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True, default="")
    secret = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "entries"
        constraints = [models.UniqueConstraint(fields=["environment", "key"], name="cfg_entry_unique_key")]
        permissions = [("reveal_secret", "Can see secret values in clear")]

    def __str__(self) -> str:
        return self.key

    @property
    def etag(self) -> str:
        # The primary key makes a re-created entry's version 1 differ from the deleted one's.
        return f'"{self.pk}.{self.version}"'


class EntryVersion(models.Model):
    """An immutable snapshot of an entry after one change. Survives the entry's deletion (entry=NULL)."""

    class Change(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        ROLLED_BACK = "rolled_back", "Rolled back"
        # A tombstone: the entry was deleted at changed_at (time travel needs to know when).
        DELETED = "deleted", "Deleted"

    entry = models.ForeignKey(Entry, on_delete=models.SET_NULL, null=True, blank=True, related_name="versions")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    version = models.PositiveIntegerField()
    value_type = models.CharField(max_length=16, choices=ValueType.choices)
    value = models.JSONField(null=True, blank=True)
    value_encrypted = models.TextField(blank=True, default="")
    secret = models.BooleanField(default=False)
    change = models.CharField(max_length=16, choices=Change.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    change_request = models.ForeignKey(
        "ChangeRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="versions"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["entry", "version"], name="cfg_version_unique")]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Entry versions are immutable.")
        super().save(*args, **kwargs)


class ApiKey(models.Model):
    """A read-only credential of one environment for machine clients; only its SHA-256 is stored."""

    audit_actor_type = "api_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class NamespaceRole(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


class NamespaceMember(models.Model):
    """A user's role within one namespace, added to whatever their global role allows."""

    namespace = models.ForeignKey(Namespace, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="namespace_memberships")
    role = models.CharField(max_length=16, choices=NamespaceRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["namespace", "user"], name="cfg_member_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.namespace_id}"


class ChangeRequest(models.Model):
    """A reviewed batch of entry changes of one environment, applied in one transaction.

    `changes` is a list of {key, op, value?, value_type?, secret?, if_version?}; the value of a change that
    is (or targets) a secret is kept only encrypted, under `value_encrypted`.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SCHEDULED = "scheduled", "Scheduled"
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="change_requests")
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=2000, blank=True, default="")
    changes = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    scheduled_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    failure = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="cfg_cr_due")]
        permissions = [("approve_changerequest", "Can approve or reject change requests")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class ChangeRequestApproval(models.Model):
    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["change_request", "user"], name="cfg_approval_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} approved #{self.change_request_id}"
