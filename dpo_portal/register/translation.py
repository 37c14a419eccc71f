"""Register content in both interface languages (django-modeltranslation).

Each field listed here gets an ``_az`` and an ``_en`` column; reading the plain field gives the
value of the active language (falling back to the other one), so a page, a letter or an export
rendered inside ``translation.override(language)`` shows the register in that language.

The history models are registered too: simple-history copies every column of a row into its
history row, the language columns included, so each change is kept in both languages.
"""

from django.conf import settings
from django.db.models import CharField, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import get_language
from modeltranslation.translator import TranslationOptions, register
from modeltranslation.utils import resolution_order

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


def in_language(values, field, prefix=""):
    """The value of translated ``field`` in the interface language, falling back as the models
    do, from a row read with ``values()`` over its language columns (``{prefix}{field}_az``…):
    what reading the plain field gives, for queries that read the columns themselves."""
    order = resolution_order(get_language() or settings.LANGUAGE_CODE)
    return next(
        (values[f"{prefix}{field}_{c}"] for c in order if values.get(f"{prefix}{field}_{c}")), ""
    )


def language_columns(field, prefix=""):
    return tuple(f"{prefix}{field}_{code}" for code in settings.MODELTRANSLATION_LANGUAGES)


def by_translation(field):
    """An ORDER BY expression for translated ``field`` as a page shows it: the interface
    language's column, falling back as reading the field does. A plain ``order_by(field)`` sorts
    by the active language's column alone, so entries written in the other language only would
    come out in no particular order."""
    order = resolution_order(get_language() or settings.LANGUAGE_CODE)
    shown = (NullIf(f"{field}_{code}", Value("")) for code in order)
    return Coalesce(*shown, Value(""), output_field=CharField())
