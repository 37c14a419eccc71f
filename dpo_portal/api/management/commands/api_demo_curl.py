"""Print ready curl lines for the demo token (make run): push one record of the core loan system
and list its open tasks. Only on a development machine, where the demo secret is published."""

import json
import shlex

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from dpo_portal.api.demo import DEMO_TOKEN_NAME, demo_system
from dpo_portal.api.models import ApiToken
from dpo_portal.register.models import DataCategory, DataSubject


class Command(BaseCommand):
    help = "Print curl lines that use the demo API token (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, **options):
        system = demo_system()
        if not settings.DEBUG or system is None:
            return
        if not ApiToken.objects.usable().filter(system=system, name=DEMO_TOKEN_NAME).exists():
            return
        person = (
            DataSubject.objects.filter(organisation_id=system.organisation_id, erased_at=None)
            .exclude(external_ref="")
            .order_by("pk")
            .first()
        )
        categories = DataCategory.objects.filter(organisation_id=system.organisation_id)
        category = categories.filter(code="identity-fin").first() or categories.first()
        base = options["base_url"].rstrip("/")
        auth = shlex.quote(f"Authorization: Bearer {settings.DEMO_API_TOKEN}")
        body = {
            "records": [
                {
                    "subject_ref": person.external_ref if person else "",
                    "category": category.code if category else "",
                    "external_id": "DEMO-LOAN-0001",
                    "collected_at": timezone.localdate().isoformat(),
                }
            ]
        }
        self.stdout.write(f"API: {base}/api/v1/docs/ — the core loan system's token:")
        self.stdout.write(
            f"  curl -s -X POST {base}/api/v1/records/batch -H {auth} "
            f"-H 'Content-Type: application/json' -d {shlex.quote(json.dumps(body))}"
        )
        self.stdout.write(f"  curl -s '{base}/api/v1/tasks?status=open' -H {auth}")
