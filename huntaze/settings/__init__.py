"""Production settings: ``DJANGO_SETTINGS_MODULE=huntaze.settings`` (manage.py, wsgi, Procfile).

``base.py`` holds every setting, production by default; ``test.py`` is the test suite's module
(pytest's ``DJANGO_SETTINGS_MODULE`` in pyproject.toml). Importing ``huntaze.settings.test``
runs this file first, which is why ``base.py`` records missing production requirements instead
of raising them (``huntaze.checks`` raises them at start-up).
"""

from huntaze.settings.base import *  # noqa: F403
