from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import AfterValidator, field_validator

NUL_REFUSED = _("Text may not contain the NUL character.")


def has_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class Input(Schema):
    """Base of every body the API reads. PostgreSQL stores no NUL character in text or JSON:
    one is refused here, with the field it is in, before anything is looked up."""

    @field_validator("*", mode="before")
    @classmethod
    def no_nul_character(cls, value):
        if has_nul(value):
            raise ValueError(str(NUL_REFUSED))
        return value


def refuse_nul(value):
    if value is not None and "\x00" in value:
        raise ValueError(str(NUL_REFUSED))
    return value


# Input's check for one text field of a TypedDict item: a batch of 10,000 items validated as plain
# dicts (in pydantic's core) costs a tenth of 10,000 Schema objects, each walked by Input.
NoNul = AfterValidator(refuse_nul)
