"""Retention rules in both interface languages (see dpo_portal/register/translation.py)."""

from modeltranslation.translator import TranslationOptions, register

from .models import RetentionRule


@register([RetentionRule, RetentionRule.history.model])
class RetentionRuleTranslation(TranslationOptions):
    fields = ("name", "description", "legal_reference")
