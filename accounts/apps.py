from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete


def _user_saved(sender, instance, created, **kwargs) -> None:
    from accounts.revocation import forget_user

    forget_user(instance)
    changed, keep_session_id = instance.pop_password_change()
    if changed and not created:
        from accounts.models import RevocationReason
        from accounts.session_services import sessions_revoke_for_user

        keep = str(keep_session_id) if keep_session_id else None
        sessions_revoke_for_user(user=instance, reason=RevocationReason.PASSWORD_CHANGED, keep_session_id=keep)


def _user_deleted(sender, instance, **kwargs) -> None:
    from accounts.revocation import forget_user

    forget_user(instance, revoke=True)


def _permissions_changed(sender, instance, action: str = "", **kwargs) -> None:
    from accounts.models import User
    from accounts.revocation import forget_user, permissions_changed

    if action and not action.startswith("post_"):
        return
    if isinstance(instance, User):
        forget_user(instance)
    else:  # a group's permissions or members, or a permission itself: anyone's may have changed
        permissions_changed()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.models import Group, Permission

        # Cache invalidation, not business logic: however a user row or a permission changes (a service,
        # the admin, a shell), the principals cached for authentication (accounts.revocation) must not
        # outlive it. Likewise a new password: a stolen refresh token must not survive it on any path, and
        # the admin's form, `changepassword` and third-party code call set_password() + save(), no service.
        user_model = self.get_model("User")
        post_save.connect(_user_saved, sender=user_model, dispatch_uid="accounts.user_saved")
        pre_delete.connect(_user_deleted, sender=user_model, dispatch_uid="accounts.user_deleted")
        for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
            m2m_changed.connect(_permissions_changed, sender=through, dispatch_uid=f"accounts.m2m.{through.__name__}")
        for model in (Group, Permission):
            post_delete.connect(_permissions_changed, sender=model, dispatch_uid=f"accounts.deleted.{model.__name__}")
