"""Legal bases and the record of processing in both interface languages (see
dpo_portal/register/translation.py)."""

from modeltranslation.translator import TranslationOptions, register

from .models import LegalBasis, ProcessingActivity


@register([LegalBasis, LegalBasis.history.model])
class LegalBasisTranslation(TranslationOptions):
    fields = ("name", "description")


@register([ProcessingActivity, ProcessingActivity.history.model])
class ProcessingActivityTranslation(TranslationOptions):
    fields = ("name", "description", "purpose")
