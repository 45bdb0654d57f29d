from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _file_written(sender, instance, **kwargs) -> None:
    from downloads.services import file_list_changed

    file_list_changed(owner_id=instance.owner_id)


class DownloadsConfig(AppConfig):
    name = "downloads"
    verbose_name = "Files and downloads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cache invalidation, not business logic: however a File row is saved or deleted (a service, the
        # admin's form, a shell, the cascade of a deleted user), the file list remembered under its owner's
        # marker (downloads.selectors) must not outlive it. QuerySet.update() sends nothing: its callers
        # call services.file_list_changed themselves.
        file_model = self.get_model("File")
        post_save.connect(_file_written, sender=file_model, dispatch_uid="downloads.file_saved")
        post_delete.connect(_file_written, sender=file_model, dispatch_uid="downloads.file_deleted")
