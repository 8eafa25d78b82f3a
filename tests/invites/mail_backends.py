"""Stand-ins for a mail server that refuses some or all messages (an external service)."""

from __future__ import annotations

import smtplib

from django.core.mail.backends import locmem


class RejectingBackend(locmem.EmailBackend):
    """Like locmem, but the 'server' refuses any recipient at ``@rejected.test``."""

    def send_messages(self, messages):
        for message in messages:
            for rcpt in message.recipients():
                if rcpt.endswith("@rejected.test"):
                    raise smtplib.SMTPRecipientsRefused({rcpt: (550, b"mailbox unavailable")})
        return super().send_messages(messages)
