"""Load the demo organisations of both reference customers, app by app.

Each app may have a demo.py with a ``load(stdout)`` function; they run in the order of
INSTALLED_APPS, so an app's demo data can rely on that of the apps it builds on. Every loader is
idempotent: it looks for its own data first and adds nothing when it is there.
"""

import random
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Build the demo data of AllAll Finance and Qonshu app (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--subjects", type=int, default=3000, help="Synthetic data subjects per organisation."
        )

    def handle(self, *args, **options):
        random.seed(20260821)  # the same demo data on every machine
        for config in apps.get_app_configs():
            if not module_has_submodule(config.module, "demo"):
                continue
            module = import_module(f"{config.name}.demo")
            with transaction.atomic():
                module.load(stdout=self.stdout, subjects_per_organisation=options["subjects"])
        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
