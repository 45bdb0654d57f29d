"""The admin shows configuration read-only: writes go through the API, where they are validated,
versioned, encrypted and audited (an admin form would bypass all four)."""

from django.contrib import admin

from configurations.models import ApiKey, Entry, EntryVersion, Environment, Namespace
from configurations.values import MASK
from core.admin import ReadOnlyAdmin


class EntryVersionInline(admin.TabularInline):
    model = EntryVersion
    fk_name = "entry"
    fields = ["version", "change", "value_type", "shown_value", "changed_by", "changed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-version"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="value")
    def shown_value(self, version: EntryVersion):
        return MASK if version.secret else version.value


@admin.register(Namespace)
class NamespaceAdmin(ReadOnlyAdmin):
    list_display = ["slug", "description", "created_at"]
    search_fields = ["slug"]


@admin.register(Environment)
class EnvironmentAdmin(ReadOnlyAdmin):
    list_display = ["slug", "namespace", "created_at"]
    list_filter = ["namespace"]
    list_select_related = ["namespace"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["key", "environment", "value_type", "secret", "version", "updated_at"]
    list_filter = ["value_type", "secret", "environment__namespace"]
    list_select_related = ["environment__namespace"]
    search_fields = ["key"]
    fields = [
        "environment",
        "key",
        "value_type",
        "shown_value",
        "schema",
        "description",
        "secret",
        "version",
        "updated_at",
        "updated_by",
    ]
    readonly_fields = fields
    inlines = [EntryVersionInline]

    @admin.display(description="value")
    def shown_value(self, entry: Entry):
        return MASK if entry.secret else entry.value


@admin.register(EntryVersion)
class EntryVersionAdmin(ReadOnlyAdmin):
    """Also the history of deleted entries (entry empty)."""

    list_display = ["key", "version", "change", "environment", "entry", "changed_at"]
    list_select_related = ["environment", "entry"]
    search_fields = ["key"]
    exclude = ["value", "value_encrypted"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "environment", "expires_at", "last_used_at", "revoked_at"]
    list_select_related = ["environment"]
    exclude = ["key_hash"]
