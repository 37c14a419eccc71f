"""Check every organisation's audit hash chain and report the first broken link of each.

    manage.py verify_audit_chain [--organisation SLUG]

Exits with status 1 when a chain is broken. The result is also kept for the dashboard.
"""

from django.core.management.base import BaseCommand, CommandError

from dpo_portal.audit.chain import verify_and_store
from dpo_portal.register.models import Organisation


class Command(BaseCommand):
    help = "Verify the audit hash chain of each organisation; report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", help="the organisation's short code (slug)")

    def handle(self, *args, organisation=None, **options):
        organisations = Organisation.objects.order_by("name")
        if organisation:
            organisations = organisations.filter(slug=organisation)
            if not organisations:
                raise CommandError(f"No organisation with the short code {organisation!r}.")
        broken = 0
        for org in organisations:
            check = verify_and_store(org.pk)
            if check.intact:
                self.stdout.write(
                    f"{org.slug}: intact, {check.events} events, head {check.head_hash or '-'}"
                )
            else:
                broken += 1
                self.stdout.write(
                    f"{org.slug}: BROKEN at no. {check.broken.sequence}: {check.broken.describe()}"
                )
        if broken:
            raise SystemExit(1)
