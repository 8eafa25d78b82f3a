import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huntaze.settings")
application = get_wsgi_application()

# Production settings lacking a secret key or a database stop the server here, not at the
# first request (huntaze/checks.py).
from huntaze.checks import require_complete_configuration  # noqa: E402

require_complete_configuration()
