"""Load the demo organisations of both reference customers, app by app.

Each app may have a demo.py with a ``load(stdout)`` function; they run in the order of
INSTALLED_APPS, so an app's demo data can rely on that of the apps it builds on. Every loader is
idempotent: it looks for its own data first and adds nothing when it is there.

Demo data belongs on a development machine (DEBUG on). With DEBUG off the command refuses unless
told --i-know-this-is-not-production (a staging or training server), and then no demo user keeps
the password published in the README: all of them get one generated password, printed once, set
in the same transaction that creates them, so the published one is never committed.
"""

import random
import secrets
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Build the demo data of AllAll Finance and Qonshu app (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--subjects", type=int, default=3000, help="Synthetic data subjects per organisation."
        )
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Load the demo with DEBUG off (a staging or training server), with a generated "
            "password instead of the published one.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "DEBUG is off: this looks like a production database, and the demo would add "
                "users and synthetic people to it. On a staging or training server, run again "
                "with --i-know-this-is-not-production (the demo users then get a generated "
                "password)."
            )
        random.seed(20260821)  # the same demo data on every machine
        with transaction.atomic():
            self._load(options["subjects"])
            if not settings.DEBUG:
                password = secrets.token_urlsafe(18)
                for user in get_user_model().objects.filter(username__startswith="demo-"):
                    user.set_password(password)
                    user.save(update_fields=["password"])
        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
        if not settings.DEBUG:
            self.stdout.write(
                f"Password of every demo user (shown only now, not stored): {password}"
            )

    def _load(self, subjects):
        for config in apps.get_app_configs():
            if not module_has_submodule(config.module, "demo"):
                continue
            module = import_module(f"{config.name}.demo")
            with transaction.atomic():
                module.load(stdout=self.stdout, subjects_per_organisation=subjects)
