"""Server-Sent Events answers (docs/api.md, Content: streamed generation).

``EventStreamRenderer`` lets DRF's content negotiation accept ``Accept: text/event-stream`` on the
views that list it (it would otherwise answer 406); such a view answers a ``StreamingHttpResponse``
from ``event_stream_response`` and every error raised before the stream starts (validation,
authentication, rate limits, quota) is still rendered as JSON (``JsonErrorsBeforeStream``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import translation
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

MEDIA_TYPE = "text/event-stream"
_json = JSONRenderer()


class EventStreamRenderer(BaseRenderer):
    """Selected by content negotiation for ``Accept: text/event-stream``. It never renders a DRF
    ``Response`` itself: the view streams, and errors are JSON (see the mixin below)."""

    media_type = MEDIA_TYPE
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return _json.render(data)


class _AcceptOnly:
    URL_FORMAT_OVERRIDE = None


class AcceptOnlyNegotiation(DefaultContentNegotiation):
    """The answer's format follows the ``Accept`` header only: ``?format=`` is not an override
    on a streaming view (DRF answers an unknown one 404; found by the contract fuzzer)."""

    settings = _AcceptOnly


def wants_event_stream(request) -> bool:
    return isinstance(getattr(request, "accepted_renderer", None), EventStreamRenderer)


class JsonErrorsBeforeStream:
    """View mixin: a DRF ``Response`` (an error before the first byte) is JSON whatever the
    client accepted, with its ordinary status and body; the format follows ``Accept`` only."""

    content_negotiation_class = AcceptOnlyNegotiation

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and wants_event_stream(request):
            request.accepted_renderer = _json
            request.accepted_media_type = _json.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def sse_event(event: str, data) -> bytes:
    """One event: ``event: <name>`` and its data as compact JSON on one ``data:`` line (JSON
    escapes newlines, so the data never spans lines)."""
    return b"event: " + event.encode() + b"\ndata: " + _json.render(data) + b"\n\n"


class _EventStream:
    """The body of the streamed answer: an opening comment (so the status and headers reach the
    client at once), then each event. ``close()`` (end of the answer, or the client gone) is
    passed on to the events' source."""

    def __init__(self, events: Iterable[bytes], source, language: str | None) -> None:
        self._events = events
        self._source = source
        self._language = language

    def __iter__(self) -> Iterator[bytes]:
        yield b": stream\n\n"
        with translation.override(self._language):
            yield from self._events

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            with translation.override(self._language):
                close()


def event_stream_response(events: Iterable[bytes], *, source=None) -> StreamingHttpResponse:
    """A 200 ``text/event-stream`` answer of ``events`` (bytes from ``sse_event``); ``source``'s
    ``close()`` is called when the answer ends or the client hangs up."""
    body = _EventStream(events, source, translation.get_language())
    # Django calls ``body.close()`` when it closes the response (it does for any content with a
    # ``close`` method).
    response = StreamingHttpResponse(body, content_type=f"{MEDIA_TYPE}; charset=utf-8")
    response["Cache-Control"] = "no-store"
    # Proxies (nginx and the like) pass each event on as it is written instead of buffering.
    response["X-Accel-Buffering"] = "no"
    return response
