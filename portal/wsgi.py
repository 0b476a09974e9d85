"""WSGI entry point: gunicorn runs ``portal.wsgi:application``.

WebDAV (/dav/) is part of the same application: files.dav.mount hands the
requests under /dav to the door (files.dav.app, imported on the first one)
and the rest to Django.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

django_application = get_wsgi_application()

# After Django's setup: the doors import models.
from files.dav.mount import mount  # noqa: E402
from portal.fastpath import wrap  # noqa: E402

# Permitted downloads are answered in front of Django (PORTAL_FAST_PATH); /dav/ beside it.
application = wrap(mount(django_application))
