import os

from django.core.wsgi import get_wsgi_application

import huntaze

# Before the settings load: the web server's database sessions get the statement and lock
# timeouts of web requests (DATABASE_STATEMENT_TIMEOUT, DATABASE_LOCK_TIMEOUT).
huntaze.serves_web_requests = True
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huntaze.settings")
application = get_wsgi_application()

# Production settings lacking a secret key or a database stop the server here, not at the
# first request (huntaze/checks.py).
from huntaze.checks import require_complete_configuration  # noqa: E402

require_complete_configuration()

# Import every view now, not on each worker's first request (half a second on this machine
# kind, which the first creator to reach a fresh worker would wait).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
