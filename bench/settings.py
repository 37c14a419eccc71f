"""The portal's settings for a benchmark run on a fresh clone.

Production settings (DEBUG off) keep the manifest static storage, which needs `collectstatic`
first; a benchmark measures server time, not static files, so it takes the plain storage (the
same URLs without the hash) and runs against whatever checkout it is in. Also the test client's
host. Everything else is production's.
"""

from dpo_portal.settings import *  # noqa: F403
from dpo_portal.settings import ALLOWED_HOSTS, STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver", "127.0.0.1"]
