"""PostgreSQL: pruning is no longer open to any role that sets `audit.pruning`.

The trigger lets a DELETE of events through only while `audit.pruning` is on *and* the current user owns
the table; the one way a role that does not own it can get there is `audit_prune_before()`, a SECURITY
DEFINER function owned by the migrating role, which deletes only the oldest sealed events and leaves the
checkpoint the remaining chain verifies from. EXECUTE is revoked from PUBLIC: in a deployment whose runtime
role does not own the tables (README: Database roles), the application can then neither delete nor
rewrite events; `audit_prune` runs with the owner's DATABASE_URL (or an explicit GRANT EXECUTE).
"""

import importlib

from django.db import migrations

# 0002's trigger function (any role that set the GUC could delete), and the same with the owner check.
OLD_TRIGGER = importlib.import_module("audit.migrations.0002_immutability_trigger").CREATE.split("CREATE TRIGGER")[0]
_GUC_ON = "AND current_setting('audit.pruning', true) = 'on' THEN"
_OWNER_CHECK = (
    "AND current_setting('audit.pruning', true) = 'on'\n"
    "       AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID) THEN"
)
if _GUC_ON not in OLD_TRIGGER:  # pragma: no cover - 0002 is history and never changes
    raise RuntimeError("audit 0002's trigger function is not the one 0004 amends")
TRIGGER = OLD_TRIGGER.replace(_GUC_ON, _OWNER_CHECK)

PRUNE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_prune_before(p_before timestamptz)
RETURNS TABLE (pruned_seq bigint, pruned_hash varchar, pruned_count bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_seq bigint;
    v_hash varchar;
    v_count bigint;
BEGIN
    SELECT e.seq, e.hash INTO v_seq, v_hash FROM audit_auditevent AS e
        WHERE e.timestamp < p_before AND e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1;
    IF v_seq IS NULL THEN
        RETURN;
    END IF;
    SELECT count(*) INTO v_count FROM audit_auditevent AS e WHERE e.seq <= v_seq;
    INSERT INTO audit_auditcheckpoint (created_at, "before", last_seq, last_hash, pruned_count)
        VALUES (now(), p_before, v_seq, v_hash, v_count);
    PERFORM set_config('audit.pruning', 'on', true);
    DELETE FROM audit_auditevent AS e WHERE e.seq <= v_seq;
    PERFORM set_config('audit.pruning', 'off', true);
    RETURN QUERY SELECT v_seq, v_hash, v_count;
END;
$$;
REVOKE ALL ON FUNCTION audit_prune_before(timestamptz) FROM PUBLIC;
"""

DROP_PRUNE_FUNCTION = "DROP FUNCTION IF EXISTS audit_prune_before(timestamptz);"


def _on_postgresql(*statements: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_grant_roles")]

    operations = [
        migrations.RunPython(_on_postgresql(TRIGGER, PRUNE_FUNCTION), _on_postgresql(DROP_PRUNE_FUNCTION, OLD_TRIGGER))
    ]
