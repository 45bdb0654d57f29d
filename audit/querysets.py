"""`AuditedQuerySet`: bulk writes of an audited model go through the trail instead of around it.

Set it on every model listed in audit.registry.TRACKED (`objects = AuditedQuerySet.as_manager()`).
Choice made: bulk writes are *recorded*, not forbidden, so cleanup jobs keep working:
- `update(**values)` records one `model.<app>.<model>.bulk_updated` event holding the ids of the rows it
  changed and the new values (masked/excluded as the registry says; expressions such as F() as text),
  unless it only touches fields the registry excludes as bookkeeping (an entry's re-encrypted ciphertext);
- `bulk_update(objs, fields)` records one `...updated` event per object with its field diff;
- `bulk_create(objs)` records one `...created` event per object;
- `delete()` needs nothing: Django sends post_delete for every row of a model with a receiver (it never
  fast-deletes them), so each row gets its `...deleted` event, cascades included.
Each runs in one transaction with its events: a rollback removes both.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from audit.context import suppress_bulk_event, suppressed_bulk_event


class AuditedQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        from audit.registry import options_for
        from audit.services import record_bulk_update

        if suppressed_bulk_event() or not set(kwargs) - set(options_for(self.model).exclude):
            return super().update(**kwargs)  # only bookkeeping fields (registry `exclude`): nothing to audit
        with transaction.atomic(using=self.db, savepoint=False):
            ids = list(self.select_for_update().values_list("pk", flat=True))
            rows = super().update(**kwargs)
            if rows:
                record_bulk_update(self.model, ids, kwargs)
        return rows

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        from audit.registry import model_diff
        from audit.services import record_model_change

        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            old = self.model._base_manager.using(self.db).in_bulk([obj.pk for obj in objs])
            with suppress_bulk_event():
                rows = super().bulk_update(objs, fields, batch_size=batch_size)
            for obj in objs:
                diff = model_diff(old.get(obj.pk), obj, fields)
                if diff:
                    record_model_change("updated", obj, diff)
        return rows

    bulk_update.alters_data = True  # type: ignore[attr-defined]

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list:
        from audit.registry import model_diff
        from audit.services import record_model_change

        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            for obj in created:
                record_model_change("created", obj, model_diff(None, obj))
        return created

    bulk_create.alters_data = True  # type: ignore[attr-defined]
