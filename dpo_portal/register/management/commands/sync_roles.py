from django.core.management.base import BaseCommand

from dpo_portal.register.roles import sync_role_groups


class Command(BaseCommand):
    help = "Create or update the DPO, Compliance officer, Manager and Auditor groups."

    def handle(self, *args, **options):
        sync_role_groups()
        self.stdout.write(self.style.SUCCESS("Role groups are up to date."))
