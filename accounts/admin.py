from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from accounts.mfa import mfa_reset
from accounts.models import User, UserSession
from accounts.selectors import mfa_status
from accounts.services import user_guard_last_admin, user_set_active, user_set_role
from accounts.session_services import session_revoke
from audit.admin import AuditedModelAdmin
from core.errors import ConflictError

admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(AuditedModelAdmin, DjangoGroupAdmin):
    """Roles are groups: what a role may do is its permissions (edits recorded as model.auth.group.*)."""


class AccountUserChangeForm(UserChangeForm):
    def clean(self):
        cleaned = super().clean()
        stored = User.objects.filter(pk=self.instance.pk).first()
        if stored is not None:
            try:
                user_guard_last_admin(user=stored, role=cleaned.get("role"), is_active=cleaned.get("is_active"))
            except ConflictError as exc:
                raise ValidationError(exc.detail, code=exc.code) from exc
        return cleaned


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    form = AccountUserChangeForm
    ordering = ["email"]
    list_display = ["email", "display_name", "role", "email_verified", "is_active", "is_staff"]
    list_filter = ["role", "email_verified", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "email_verified", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Second factors", {"fields": ("second_factors",)}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["second_factors"]
    actions = ["reset_second_factors"]

    @admin.display(description="Second factors")
    def second_factors(self, obj: User) -> str:
        if obj.pk is None:
            return "-"
        status = mfa_status(obj)
        totp = f"TOTP on, {status['recovery_codes_left']} recovery code(s) left" if status["totp"] else "TOTP off"
        names = ", ".join(obj.passkeys.values_list("name", flat=True))
        return f"{totp}; {status['passkeys']} passkey(s)" + (f": {names}" if names else "")

    @admin.action(description="Reset the second factors (TOTP, recovery codes, passkeys)", permissions=["change"])
    def reset_second_factors(self, request, queryset) -> None:
        users = list(queryset)
        for user in users:
            mfa_reset(user=user, actor=request.user, request=request)
        self.message_user(request, f"Reset the second factors of {len(users)} user(s).", messages.SUCCESS)

    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        # Role and activation go through the services (group membership, session revocation, audit),
        # after the form's own many-to-many save, which would otherwise overwrite the role's group.
        obj._wanted = (obj.role, obj.is_active)
        if change:
            stored = User.objects.get(pk=obj.pk)
            obj.role, obj.is_active = stored.role, stored.is_active
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        role, is_active = user._wanted
        user_set_role(user=user, role=role, actor=request.user, request=request)
        user_set_active(user=user, is_active=is_active, actor=request.user, request=request)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "last_used_at", "expires_at", "ip", "revoked_at", "revoked_reason"]
    list_filter = ["revoked_reason"]
    search_fields = ["user__email", "ip"]
    list_select_related = ["user"]
    readonly_fields = [field.name for field in UserSession._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected sessions", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        sessions = list(queryset.filter(revoked_at__isnull=True))
        for session in sessions:
            session_revoke(session=session, actor=request.user, request=request)
        self.message_user(request, f"Revoked {len(sessions)} session(s).", messages.SUCCESS)
