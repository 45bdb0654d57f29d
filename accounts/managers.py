from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import BaseUserManager


class UserManager(BaseUserManager):
    """E-mail login."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any):
        from django.contrib.auth.models import Group

        from accounts.roles import Role

        extra.update(is_staff=True, is_superuser=True, email_verified=True, role=Role.ADMIN)
        user = self._create_user(email, password, **extra)
        user.groups.add(*Group.objects.filter(name=Role.ADMIN))
        return user

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=username)
