"""A real SMTP server for tests (aiosmtpd), keeping every message it receives.

``SmtpSink`` listens on a free loopback port in a thread of its own; ``messages`` holds the parsed
``email.message.EmailMessage`` of each delivery, and ``wait_for(to)`` waits for one to arrive.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from support import free_port


class _Keep:
    def __init__(self, sink: SmtpSink):
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self._sink.messages.append(message)
        self._sink.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, **options: Any) -> None:
        self.port = free_port()
        self.host = "127.0.0.1"
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._controller = Controller(_Keep(self), hostname=self.host, port=self.port, **options)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def mail_settings(self) -> dict[str, Any]:
        """The ``mail:`` section that points TruePort at this server."""
        return {"host": self.host, "port": self.port, "security": "none", "sender": "TruePort <tp@test>"}

    async def wait_for(self, to: str, *, timeout_s: float = 10.0) -> EmailMessage:
        """The first message addressed to ``to`` (waits for it to arrive)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for message, recipients in zip(self.messages, self.recipients, strict=True):
                if to.lower() in (r.lower() for r in recipients):
                    return message
            await asyncio.sleep(0.02)
        raise AssertionError(f"no mail to {to} within {timeout_s}s; got {len(self.messages)} other(s)")


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the message has no text/plain part"
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content


def body_html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the message has no text/html part"
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content
