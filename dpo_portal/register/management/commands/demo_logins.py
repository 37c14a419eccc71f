from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.urls import reverse

from dpo_portal.register.models import Membership, Organisation


class Command(BaseCommand):
    help = "Print the demo users, their roles and the demo password."

    def handle(self, *args, **options):
        users = get_user_model().objects.filter(username__startswith="demo-").order_by("username")
        if not users:
            self.stdout.write("No demo users: run `manage.py load_demo` first.")
            return
        for user in users:
            roles = ", ".join(
                f"{m.get_role_display()} @ {m.organisation.name}"
                for m in Membership.objects.filter(user=user).select_related("organisation")
            )
            if user.is_superuser:
                roles = "superuser (all organisations)"
            self.stdout.write(f"  {user.username:<24} {user.get_full_name():<24} {roles}")
        if settings.DEBUG:
            self.stdout.write(f"  password for all: {settings.DEMO_PASSWORD}")
        else:
            self.stdout.write("  password for all: the one load_demo printed (DEBUG is off)")
        self.stdout.write("Privacy centres (the person's side, no sign-in):")
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        for organisation in Organisation.objects.order_by("name"):
            url = base + reverse("privacy:home", kwargs={"organisation": organisation.slug})
            self.stdout.write(f"  {organisation.name:<24} {url}")
