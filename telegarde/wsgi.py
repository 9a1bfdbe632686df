"""WSGI entry point (used by the benchmark's reference run and by WSGI-only hosts)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegarde.settings")

application = get_wsgi_application()
