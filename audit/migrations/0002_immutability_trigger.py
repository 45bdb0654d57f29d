"""PostgreSQL: a trigger refuses UPDATE and DELETE of audit events and checkpoints.

The exceptions: the one-time seal of an unsealed event (audit.services.events_seal sets seq, prev_hash and
hash where hash is NULL, every other column unchanged), and audit.services.events_prune, which sets the
transaction-local setting `audit.pruning` to 'on' around its DELETE of events. (TRUNCATE, a table owner's privilege, is not a row
operation; a database owner can always drop the trigger: the hash chain is what detects that.)
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_auditevent'
       AND current_setting('audit.pruning', true) = 'on' THEN
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
CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoint_immutable BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_checkpoint_immutable ON audit_auditcheckpoint;
DROP TRIGGER IF EXISTS audit_event_immutable ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_refuse_change();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
