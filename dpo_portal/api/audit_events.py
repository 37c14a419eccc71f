"""The integration API's audit events as sentences (dpo_portal/audit/sentences.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence

EVENTS = {
    "api.token_created": Sentence(
        _("API token created"),
        _("%(actor)s created an API token for system #%(system_id)s"),
    ),
    "api.token_revoked": Sentence(
        _("API token revoked"),
        _("%(actor)s revoked an API token of system #%(system_id)s"),
    ),
    "api.webhook_added": Sentence(
        _("Webhook added"),
        _("%(actor)s added a webhook for system #%(system_id)s"),
    ),
    "api.records_pushed": Sentence(
        _("Records pushed through the API"),
        _(
            "System #%(system_id)s pushed %(records)s records through the API "
            "(token #%(api_token_id)s)"
        ),
    ),
    "api.records_released": Sentence(
        _("Records no longer held"),
        _(
            "System #%(system_id)s reported %(disposed)s records no longer held through the API "
            "(token #%(api_token_id)s)"
        ),
    ),
    "api.request_received": Sentence(
        _("Request received through the API"),
        _("System #%(system_id)s sent %(target)s through the API (token #%(api_token_id)s)"),
    ),
}
