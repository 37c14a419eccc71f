import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Tests create many users; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    # Assertions read English messages; the Azerbaijani catalogue is filled in later.
    settings.LANGUAGE_CODE = "en"
