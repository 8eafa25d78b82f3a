"""Production settings plus two failing views (tests/observability/urls_boom.py), for the
error-report test on the real server."""

from huntaze.settings import *  # noqa: F403

ROOT_URLCONF = "tests.observability.urls_boom"
