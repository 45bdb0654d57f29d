"""The minimal principal: what authentication caches about a signed-in user, and `request.user` built on it.

The cache holds only what deciding access needs (id, active, superuser, the permission codenames and the
permissions version they were read under), never the `User` row: no password hash, e-mail or name in
Redis. `Principal` answers identity and permission checks from that state; the first access to anything
else (or an `isinstance` check, as the ORM makes when it is assigned to a foreign key) loads the row,
one query by primary key, and the rest of the request uses it.

That row is also kept in this process's memory (`_ROWS`), keyed by the state's `issued` nonce: any save
of the user drops its sessions' cached states (accounts.revocation.forget_user), so the next request
reads a new state with a new nonce, and a row kept under an old nonce is never used again. The row
stays in the process (never in Redis) and each request gets its own copy.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import astuple, dataclass, fields
from typing import Any

from django.utils.functional import SimpleLazyObject, empty
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import User
from core.memo import remember


@dataclass(frozen=True)
class PrincipalState:
    user_id: str
    is_active: bool
    is_superuser: bool
    permissions: frozenset[str]
    permissions_version: str
    issued: str  # a nonce per read of the row: names the row this state was made from (`_ROWS`)

    @classmethod
    def of(cls, user: User, permissions_version: str) -> PrincipalState:
        permissions = frozenset(user.get_all_permissions()) if user.is_active else frozenset()
        return cls(str(user.pk), user.is_active, user.is_superuser, permissions, permissions_version, uuid.uuid4().hex)

    def to_cache(self) -> tuple:
        """Plain data (a deploy that changes this class cannot break unpickling what is cached)."""
        state = astuple(self)
        return (*state[:3], tuple(sorted(self.permissions)), *state[4:])

    @classmethod
    def from_cache(cls, value: Any) -> PrincipalState | None:
        if not (isinstance(value, tuple) and len(value) == len(fields(cls))):
            return None
        user_id, is_active, is_superuser, permissions, version, issued = value
        return cls(user_id, is_active, is_superuser, frozenset(permissions), version, issued)


_ROWS: dict[tuple[str, str], User] = {}
_ROWS_MAX = 2048


def _remember(state: PrincipalState, user: User) -> None:
    remember(_ROWS, (state.user_id, state.issued), copy.copy(user), _ROWS_MAX)


def remembered_row(state: PrincipalState) -> User | None:
    """A copy of the row this process read for `state`, if it has it."""
    row = _ROWS.get((state.user_id, state.issued))
    return copy.copy(row) if row is not None else None


class Principal(SimpleLazyObject):
    """`request.user` of a bearer token: a lazy `User` whose access checks need no query."""

    def __init__(self, state: PrincipalState, user: User | None = None):
        self.__dict__["_principal"] = state
        super().__init__(lambda: self._load())
        if user is not None:
            _remember(state, user)
            self._wrapped = self._primed(user)

    def _load(self) -> User:
        user = remembered_row(self._principal)
        if user is None:
            user = User.objects.filter(pk=self._principal.user_id, is_active=True).first()
            if user is None:  # deleted or deactivated while this request was being served
                raise AuthenticationFailed("The session of this token has ended.", code="session_revoked")
            _remember(self._principal, user)
        return self._primed(user)

    def _primed(self, user: User) -> User:
        user._perm_cache = set(self._principal.permissions)  # ModelBackend's own cache: no permission queries
        return user

    @property
    def state(self) -> PrincipalState:
        return self._principal

    @property
    def loaded(self) -> bool:
        return self._wrapped is not empty

    @property
    def pk(self) -> uuid.UUID:
        return uuid.UUID(self._principal.user_id)

    id = pk

    @property
    def is_active(self) -> bool:
        return self._principal.is_active

    @property
    def is_superuser(self) -> bool:
        return self._principal.is_superuser

    is_authenticated = True
    is_anonymous = False

    def __bool__(self) -> bool:  # `if request.user` must not load the row
        return True

    def get_all_permissions(self, obj: object = None) -> set[str]:
        return set(self._principal.permissions) if obj is None and self.is_active else set()

    def has_perm(self, perm: str, obj: object = None) -> bool:
        if not self.is_active:
            return False
        return self.is_superuser or (obj is None and perm in self._principal.permissions)

    def has_perms(self, perm_list, obj: object = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        if not self.is_active:
            return False
        return self.is_superuser or any(perm.startswith(f"{app_label}.") for perm in self._principal.permissions)
