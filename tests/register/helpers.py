"""Admin helpers for the register tests: logging a user in and building admin URLs."""

from django.urls import reverse


def log_in(client, user):
    client.force_login(user)
    return client


def admin_url(model_name, view, *args):
    return reverse(f"admin:register_{model_name}_{view}", args=args)
