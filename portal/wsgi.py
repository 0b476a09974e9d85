"""WSGI entry point: gunicorn runs ``portal.wsgi:application``.

WebDAV (/dav/) is part of the same application: files.dav.app takes the
requests under /dav and hands the rest to Django.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

django_application = get_wsgi_application()

# After Django's setup: the door imports models.
from files.dav.app import mount  # noqa: E402

application = mount(django_application)
