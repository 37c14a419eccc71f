"""Password validators beyond Django's four (length, common list, similarity, numeric only)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LEET = str.maketrans("0134578@$!", "oieastbasi")


class NotOnlyDigitsAndPunctuationValidator:
    """Refuse a date or a number dressed up with separators (2026-12-01, 12.05.1990, 050-555-12-12):
    Django's NumericPasswordValidator only refuses digits alone."""

    def validate(self, password, user=None):
        if not re.search(r"[^\W\d_]", password):
            raise ValidationError(
                _("This password has no letters: a date or a number is guessed quickly."),
                code="password_no_letters",
            )

    def get_help_text(self):
        return _("Your password must contain letters, not only digits and punctuation.")


class ContextWordsValidator:
    """Refuse a password built on the portal's own words (demo, portal, DPO, admin, password…),
    written plainly or with digits for letters (Passw0rd!): the first thing an attacker tries
    against a known product."""

    WORDS = ("password", "portal", "demo", "admin", "dpo", "qwerty", "letmein", "welcome")

    def validate(self, password, user=None):
        plain = password.lower()
        folded = plain.translate(LEET)
        if any(word in plain or word in folded for word in self.WORDS):
            raise ValidationError(
                _(
                    "This password is built on a word attackers try first "
                    "(such as portal, demo, admin or password)."
                ),
                code="password_context_word",
            )

    def get_help_text(self):
        return _(
            "Your password must not be built on words such as portal, demo, admin or password."
        )
