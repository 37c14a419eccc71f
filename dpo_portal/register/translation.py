"""Register content in both interface languages (django-modeltranslation).

Each field listed here gets an ``_az`` and an ``_en`` column; reading the plain field gives the
value of the active language (falling back to the other one), so a page, a letter or an export
rendered inside ``translation.override(language)`` shows the register in that language.

The history models are registered too: simple-history copies every column of a row into its
history row, the language columns included, so each change is kept in both languages.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import DataCategory, Recipient, Source, SubjectType, System


class NameAndDescription(TranslationOptions):
    fields = ("name", "description")


@register([DataCategory, DataCategory.history.model])
class DataCategoryTranslation(TranslationOptions):
    fields = ("name", "description", "examples")


@register([SubjectType, SubjectType.history.model])
class SubjectTypeTranslation(NameAndDescription):
    pass


@register([Source, Source.history.model])
class SourceTranslation(NameAndDescription):
    pass


@register([System, System.history.model])
class SystemTranslation(NameAndDescription):
    pass


@register([Recipient, Recipient.history.model])
class RecipientTranslation(NameAndDescription):
    pass
