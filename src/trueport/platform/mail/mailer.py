"""Sending mail over SMTP (STUB: owned by the mail helper; to be replaced)."""

from __future__ import annotations

from dataclasses import dataclass

from trueport.platform.config import MailConfig


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str


class MailError(Exception):
    """The mail could not be handed to the SMTP server."""


class Mailer:
    def __init__(self, config: MailConfig):
        self.config = config

    async def send(self, mail: OutgoingMail) -> None:
        raise NotImplementedError
