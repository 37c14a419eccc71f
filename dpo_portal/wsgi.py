import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpo_portal.settings")
application = get_wsgi_application()
# What start-up made (modules, models, the URL patterns and the API's schemas) lives as long as
# the process. Frozen out of the garbage collector, it is no longer walked by every full
# collection, which a request that allocates many objects (a batch of 10,000 records: a fifth of
# the worker's time went to those walks) sets off once or twice.
get_resolver().url_patterns  # noqa: B018 (loaded now, to be frozen with the rest)
gc.freeze()
