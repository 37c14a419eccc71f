"""Admin helpers for the register tests: logging a user in and building admin URLs."""

from django.urls import reverse

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def log_in(client, user):
    # The axes backend comes first in AUTHENTICATION_BACKENDS but cannot load a user from a
    # session: name the model backend explicitly.
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def admin_url(model_name, view, *args):
    return reverse(f"admin:register_{model_name}_{view}", args=args)
