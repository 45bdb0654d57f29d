"""Background work of the audit trail: the hourly signed checkpoint (API.md *Checkpoints*)."""

from background.jobs import periodic_job

periodic_job("audit_checkpoint", command="audit_checkpoint", args=("--write",), crontab="0 * * * *")
