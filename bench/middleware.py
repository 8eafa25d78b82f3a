"""The plain floor: Django answering a small JSON body before any of the product's middleware.

``bench.settings`` puts :class:`PlainMiddleware` first in ``MIDDLEWARE`` (benchmark only:
production never names that settings module). ``GET /bench/plain`` is answered here with a
``JsonResponse``, so a request pays what any Django request on this server pays — gunicorn's
worker and HTTP parsing, Django's WSGI handler building the ``WSGIRequest``, a response object
and its serialisation — and nothing of ours: no URL resolution, no middleware, no view, no
database. It is the physical limit of a Django request on this machine and server configuration
(a plain view answered from the first middleware, like ``GET /api/health/live``), measured in
the same run as the mix (docs/benchmark.md, The two floors).
"""

from __future__ import annotations

from django.http import JsonResponse

PLAIN_PATH = "/bench/plain"
PLAIN_BODY = {"status": "ok", "floor": "plain"}


class PlainMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PLAIN_PATH and request.method == "GET":
            return JsonResponse(PLAIN_BODY)
        return self.get_response(request)
