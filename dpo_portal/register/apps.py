from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender, **kwargs):
    # Runs once per migrated app; only when the last of ours is done are all permissions there.
    if sender.name == "requests":
        from .roles import sync_role_groups

        sync_role_groups()


class RegisterConfig(AppConfig):
    name = "dpo_portal.register"
    label = "register"
    verbose_name = _("Register")

    def ready(self):
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="register.sync_roles")
