from django.apps import AppConfig
from django.db.models.signals import post_save, pre_delete


def _user_saved(sender, instance, **kwargs) -> None:
    from accounts.revocation import forget_user

    forget_user(instance)


def _user_deleted(sender, instance, **kwargs) -> None:
    from accounts.revocation import forget_user

    forget_user(instance, revoke=True)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cache invalidation, not business logic: however a user row changes (a service, the admin, a
        # shell), the copies cached for authentication (accounts.revocation) must not outlive it.
        user_model = self.get_model("User")
        post_save.connect(_user_saved, sender=user_model, dispatch_uid="accounts.user_saved")
        pre_delete.connect(_user_deleted, sender=user_model, dispatch_uid="accounts.user_deleted")
