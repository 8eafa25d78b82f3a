"""A real SMTP server for the job tests (aiosmtpd, on a free loopback port) that can be slowed,
made to answer "421 try again later", or stopped and started again on the same port."""

from __future__ import annotations

import asyncio
import threading
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller

from tests.servers import free_port


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.delay = 0.0  # seconds spent on each message before accepting it
        self.refuse = False  # answer 421 to every MAIL FROM
        self.received: list[tuple[str, object]] = []  # (recipient, parsed message)
        self.attempts = 0  # MAIL FROM commands seen (deliveries tried)
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # --- aiosmtpd handler hooks ---------------------------------------------------------

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self._lock:
            self.attempts += 1
        if self.refuse:
            return "421 4.3.2 Service not available, try again later"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content)
        with self._lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((rcpt, message))
        return "250 Message accepted for delivery"

    # --- control ------------------------------------------------------------------------

    def start(self) -> SmtpServer:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def recipients(self) -> list[str]:
        with self._lock:
            return [rcpt for rcpt, _message in self.received]

    def wait_for(self, count: int, timeout: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.recipients()) >= count:
                return self.recipients()
            time.sleep(0.1)
        raise AssertionError(f"{len(self.recipients())} of {count} emails arrived in {timeout} s")

    def email_settings(self) -> dict[str, str]:
        """The environment that points the app's mail at this server (``EMAIL_URL``)."""
        return {"EMAIL_URL": f"smtp://127.0.0.1:{self.port}"}
