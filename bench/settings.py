"""Benchmark-only settings: the production settings, plus the floor's URL.

The harness starts the server with ``DJANGO_SETTINGS_MODULE=bench.settings``; production never
names this module, so ``/bench/floor/<uuid>`` is unreachable there. Nothing else changes: the
same middleware, authentication, database options and gunicorn config serve both the creator mix
and the floor.
"""

from huntaze.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
