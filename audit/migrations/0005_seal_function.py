"""PostgreSQL: the seal as one function call, `audit_seal_pending()`.

audit.services.events_seal ran BEGIN, the head lock, the read of the unsealed events, an UPDATE per event,
the head's UPDATE and COMMIT: six round trips after every audited write. Called outside a transaction, this
function does the same in one statement, which is its own transaction. Each statement in it takes a fresh
snapshot (READ COMMITTED, a volatile function), so the unsealed events are read after the head lock is held,
as before. The hash expression is audit.chain.hash_sql("audit_auditevent", "v_seq", "v_hash"), written out:
a migration is history (tests/audit check that the two still agree). SECURITY INVOKER: the runtime role
seals with its own UPDATE rights, which the immutability trigger limits to this one-time seal.
"""

from django.db import migrations

SEAL_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_seal_pending() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_hash varchar;
    v_id bigint;
    v_sealed integer := 0;
BEGIN
    SELECT h.last_seq, h.last_hash INTO v_seq, v_hash FROM audit_auditchainhead AS h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        SELECT e.seq, e.hash INTO v_seq, v_hash FROM audit_auditevent AS e
            WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1;
        INSERT INTO audit_auditchainhead (id, last_seq, last_hash) VALUES (1, COALESCE(v_seq, 0), COALESCE(v_hash, ''))
            ON CONFLICT (id) DO NOTHING;
        SELECT h.last_seq, h.last_hash INTO v_seq, v_hash FROM audit_auditchainhead AS h WHERE h.id = 1 FOR UPDATE;
    END IF;
    FOR v_id IN SELECT e.id FROM audit_auditevent AS e WHERE e.hash IS NULL ORDER BY e.id LOOP
        v_seq := v_seq + 1;
        UPDATE audit_auditevent SET seq = v_seq, prev_hash = v_hash,
            hash = encode(sha256(convert_to(jsonb_build_array(audit_auditevent.id, v_seq, to_char(audit_auditevent.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), audit_auditevent.actor, audit_auditevent.actor_type, audit_auditevent.action, audit_auditevent.target_type, audit_auditevent.target_id, host(audit_auditevent.ip), audit_auditevent.user_agent, audit_auditevent.request_id, audit_auditevent.changes, audit_auditevent.metadata, v_hash)::text, 'UTF8')), 'hex')
            WHERE audit_auditevent.id = v_id AND audit_auditevent.hash IS NULL
            RETURNING audit_auditevent.hash INTO v_hash;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'audit event % was sealed outside the chain-head lock', v_id;
        END IF;
        v_sealed := v_sealed + 1;
    END LOOP;
    IF v_sealed > 0 THEN
        UPDATE audit_auditchainhead SET last_seq = v_seq, last_hash = v_hash WHERE id = 1;
    END IF;
    RETURN v_sealed;
END;
$$;
"""

DROP_SEAL_FUNCTION = "DROP FUNCTION IF EXISTS audit_seal_pending();"


def _on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_prune_only_by_owner")]

    operations = [migrations.RunPython(_on_postgresql(SEAL_FUNCTION), _on_postgresql(DROP_SEAL_FUNCTION))]
