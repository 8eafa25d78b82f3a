"""The project's wiring: settings, URLs, the WSGI entry point, and what every app shares."""

# Set by huntaze/wsgi.py before the settings load: this process serves web requests, so its
# database sessions get the request bounds (statement and lock timeouts, huntaze/settings/base.py).
# ``manage.py`` commands (migrations, the import, the job worker) never set it.
serves_web_requests = False
