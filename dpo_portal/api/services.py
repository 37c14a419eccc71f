"""Use cases of the API's own rows: creating and revoking a system's token, registering a
webhook. Each writes its audit event (ids and codes only; never a secret)."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent

from .models import ApiToken, Scope, WebhookEndpoint, token_digest


@transaction.atomic
def create_token(system, *, name, scopes, expires_at, actor):
    """A new token for ``system``. Returns (token, secret): the secret is shown once, here."""
    scopes = sorted(set(scopes))
    if not scopes or not set(scopes) <= set(Scope.values):
        raise ValidationError(_("Choose at least one scope."))
    if expires_at <= timezone.now():
        raise ValidationError(_("The expiry must be in the future."))
    secret, prefix = ApiToken.new_secret()
    token = ApiToken.objects.create(
        organisation_id=system.organisation_id,
        system=system,
        name=name.strip(),
        prefix=prefix,
        digest=token_digest(secret),
        scopes=scopes,
        expires_at=expires_at,
        created_by=actor,
    )
    AuditEvent.record(
        "api.token_created",
        organisation=system.organisation,
        actor=actor,
        target=token,
        system_id=system.pk,
        scopes=scopes,
        expires_at=expires_at,
    )
    return token, secret


@transaction.atomic
def revoke_token(token, *, actor):
    token = ApiToken.objects.select_for_update().select_related("organisation").get(pk=token.pk)
    if token.is_revoked:
        return token
    token.revoked_at, token.revoked_by = timezone.now(), actor
    token.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    AuditEvent.record(
        "api.token_revoked",
        organisation=token.organisation,
        actor=actor,
        target=token,
        system_id=token.system_id,
    )
    return token


@transaction.atomic
def add_webhook(system, *, url, actor):
    """Returns (endpoint, secret): the signing secret is shown once, here."""
    endpoint = WebhookEndpoint.objects.create(
        organisation_id=system.organisation_id,
        system=system,
        url=url,
        secret=secrets.token_urlsafe(32),
    )
    AuditEvent.record(
        "api.webhook_added",
        organisation=system.organisation,
        actor=actor,
        target=endpoint,
        system_id=system.pk,
    )
    return endpoint, endpoint.secret


def api_actor_details(token):
    """What the audit event of an API write carries about who acted: the system, by its token."""
    return {"via": "api", "api_token_id": token.pk, "system_id": token.system_id}
