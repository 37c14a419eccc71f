from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecipientsConfig(AppConfig):
    """The compliance officer's recipient register: reviews, transfers abroad, disclosures, the
    weekly digest, the export and the pages. It has no models of its own: Recipient and its
    rows stay in the register, the vocabulary every app shares."""

    name = "dpo_portal.recipients"
    label = "recipients"
    verbose_name = _("Recipient register")
