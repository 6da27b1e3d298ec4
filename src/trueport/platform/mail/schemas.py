"""What ``/admin/outbox`` returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from trueport.db.models import OutboxMail


class OutboxMailOut(BaseModel):
    id: str
    to: str
    subject: str
    text: str = Field(description="The plain-text body (links included).")
    html: str
    created_at: datetime

    @classmethod
    def of(cls, mail: OutboxMail) -> OutboxMailOut:
        return cls(
            id=mail.id,
            to=mail.recipient,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            created_at=mail.created_at,
        )


class OutboxOut(BaseModel):
    enabled: bool = Field(
        description="True when mail is kept here (development without an SMTP server); false when it is "
        "sent, or fails, as configured."
    )
    data: list[OutboxMailOut] = Field(description="The newest mails first.")
