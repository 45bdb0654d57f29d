"""Run a periodic job by hand, exactly as the scheduler does (its run is recorded for /metrics)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from background.jobs import registered_jobs, run_job


class Command(BaseCommand):
    help = "Run a periodic job now (as the scheduler would); --list shows every job and its default schedule."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", nargs="?", help="the job's name")
        parser.add_argument("--list", action="store_true", help="list the registered jobs")

    def handle(self, *args, name: str | None = None, list: bool = False, **options) -> None:
        jobs = registered_jobs()
        if list or not name:
            for job in jobs.values():
                when = job.crontab or f"every {job.every} s"
                self.stdout.write(f"{job.name}\t{when}\t{job.command or job.func}")
            return
        if name not in jobs:
            raise CommandError(f"unknown job {name!r}; see run_job --list")
        try:
            run_job(name)
        except Exception as exc:
            raise CommandError(f"job {name} failed: {exc}") from exc
