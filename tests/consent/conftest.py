import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """The tests read messages in English; the portal's default language is Azerbaijani."""
    with translation.override("en"):
        yield
