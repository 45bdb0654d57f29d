"""WSGI entry point (gunicorn config.wsgi): Django, behind the hot lane for a few warm reads (core.lane)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402

from accounts.lane import ROUTES as ACCOUNT_ROUTES  # noqa: E402 - needs the apps loaded
from configurations.lane import ROUTES as CONFIGURATION_ROUTES  # noqa: E402
from core.lane import HotLane  # noqa: E402
from downloads.lane import ROUTES as FILE_ROUTES  # noqa: E402

# Only with Redis does the lane need no database: the embedded mode's cache is the database, whose connections
# only Django's request cycle opens and closes.
ROUTES = [*ACCOUNT_ROUTES, *CONFIGURATION_ROUTES, *FILE_ROUTES]
application = HotLane(django_application, ROUTES if settings.REDIS_URL else [])
