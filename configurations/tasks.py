"""Background work of configurations: scheduled change requests are applied by the scheduler."""

from background.jobs import periodic_job

periodic_job("configs_apply_scheduled", command="configs_apply_scheduled", every=30)
