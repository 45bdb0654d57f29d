from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from downloads.maintenance import file_verify
from downloads.models import File


class Command(BaseCommand):
    help = "Re-hash every stored file; mark and name each mismatch (exit 1 if any). A progress bar on a TTY."

    def handle(self, *args, **options):
        files = File.objects.order_by("created_at", "id")
        total = files.count()
        bad: list[File] = []
        # tqdm draws only on a terminal; in cron or CI the output stays plain lines.
        with tqdm(total=total, unit="file", disable=not self.stderr.isatty(), file=self.stderr._out) as bar:
            for file in files.iterator(chunk_size=500):
                if not file_verify(file):
                    bad.append(file)
                    with tqdm.external_write_mode(file=self.stderr._out):
                        self.stdout.write(f"MISMATCH {file.pk} {file.name!r} (owner {file.owner_id})")
                bar.update(1)
        if bad:
            names = ", ".join(f"{file.pk} ({file.name})" for file in bad)
            raise CommandError(f"{len(bad)} of {total} files do not match their sha256: {names}", returncode=1)
        self.stdout.write(f"verified {total} files: all match")
