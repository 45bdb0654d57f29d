from django.core.management.base import BaseCommand

from downloads.maintenance import files_cleanup


class Command(BaseCommand):
    help = (
        "Delete expired links, stale and abandoned downloads, orphaned blobs and temp files of dead uploads "
        "(expired resumable uploads: uploads_cleanup)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would be deleted, delete nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        report = files_cleanup(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for name in report.orphaned_blobs:
            self.stdout.write(f"{verb} orphaned blob {name}")
        for path in report.temp_files:
            self.stdout.write(f"{verb} temp file {path}")
        self.stdout.write(
            f"{verb}: {report.expired_links} expired links, {report.downloads} stale or abandoned downloads, "
            f"{len(report.orphaned_blobs)} orphaned blobs, {len(report.temp_files)} temp files"
        )
