"""Benchmark-only settings: the production settings, plus the two floors.

The harness starts the server with ``DJANGO_SETTINGS_MODULE=bench.settings``; production never
names this module, so neither floor is reachable there:

- ``/bench/floor/<uuid>`` (bench.urls): one-row DRF view through the product's middleware;
- ``/bench/plain`` (bench.middleware): a small JSON body answered by a first middleware, before
  the product's middleware (the physical limit of a Django request).

Nothing else changes: the same middleware (whatever ``huntaze.settings`` lists, after the plain
floor's), authentication, database options and gunicorn config serve the creator mix and both
floors.
"""

from huntaze.settings import *  # noqa: F403
from huntaze.settings import MIDDLEWARE as _PRODUCT_MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.PlainMiddleware", *_PRODUCT_MIDDLEWARE]
