import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from retention import sweep
from retention.tasks import start_sweep


class Command(BaseCommand):
    help = (
        "Run the retention sweep: by default fanned out to the Celery workers (one task per "
        "chunk); --inline runs every chunk in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--inline", action="store_true", help="run here, without Celery")
        parser.add_argument("--wait", action="store_true", help="wait for the workers to finish")
        parser.add_argument("--chunk-size", type=int, default=sweep.DEFAULT_CHUNK_SIZE)
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args, inline, wait, chunk_size, today, **options):
        if inline:
            totals = sweep.sweep_inline(today=today, chunk_size=chunk_size)
            sweep.record_sweep([totals], today=(today or timezone.localdate()).isoformat())
            self.stdout.write(self._summary(totals))
            return
        result = start_sweep(today=today, chunk_size=chunk_size)
        if wait:
            self.stdout.write(self._summary(result.get()))
        else:
            self.stdout.write("sweep started")

    @staticmethod
    def _summary(totals):
        return ", ".join(f"{key}: {value}" for key, value in sorted((totals or {}).items()))
