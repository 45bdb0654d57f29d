"""PostgreSQL: pruning is no longer open to any role that sets `audit.pruning`.

The trigger lets a DELETE of events through only while `audit.pruning` is on *and* the current user owns
the table; the one way a role that does not own it can get there is `audit_prune_before()`, a SECURITY
DEFINER function owned by the migrating role, which deletes only the oldest sealed events and leaves the
checkpoint the remaining chain verifies from. EXECUTE is revoked from PUBLIC: in a deployment whose runtime
role does not own the tables (README: Database roles), the application can then neither delete nor
rewrite events; `audit_prune` runs with the owner's DATABASE_URL (or an explicit GRANT EXECUTE).
"""

from django.db import migrations

_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_auditevent'
       AND current_setting('audit.pruning', true) = 'on'OWNER_CHECK THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_auditevent' AND OLD.hash IS NULL AND OLD.seq IS NULL
       AND NEW.hash IS NOT NULL AND NEW.seq IS NOT NULL
       AND (NEW.id, NEW.timestamp, NEW.actor, NEW.actor_type, NEW.action, NEW.target_type, NEW.target_id, NEW.ip,
            NEW.user_agent, NEW.request_id, NEW.changes, NEW.metadata)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.timestamp, OLD.actor, OLD.actor_type, OLD.action, OLD.target_type, OLD.target_id, OLD.ip,
            OLD.user_agent, OLD.request_id, OLD.changes, OLD.metadata) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

_OWNER_CHECK = "\n       AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID)"
TRIGGER = _TRIGGER_FUNCTION.replace("OWNER_CHECK", _OWNER_CHECK)
OLD_TRIGGER = _TRIGGER_FUNCTION.replace("OWNER_CHECK", "")  # as 0002 created it: any role setting the GUC

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
