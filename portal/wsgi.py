"""WSGI entry point: gunicorn runs ``portal.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

django_application = get_wsgi_application()

# Imported after Django is set up: it reaches the models.
from portal.fastpath import wrap  # noqa: E402

# Permitted downloads are answered in front of Django (PORTAL_FAST_PATH).
application = wrap(django_application)
