"""The development outbox: where mail goes when there is no SMTP server to send it to.

Only in ``environment: development`` with ``mail.host`` unset (``open_outbox``): a fresh install
then works out of the box (an invited owner's link is readable by a platform admin in the console,
``GET /api/v1/admin/outbox``). In production an unset SMTP server stays a failure the caller sees,
because the outbox holds live one-time links (invitations, password resets) that would let whoever
reads it sign in as the recipient.

The mails are kept in the database, not in the process: behind a load balancer every replica's mail
is in the one outbox a platform admin reads, whichever replica answers. Bounded: each new mail
removes all but the newest ``KEEP``.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from trueport.db.engine import SessionFactory
from trueport.db.models import OutboxMail
from trueport.platform.mail.mailer import MailError, OutgoingMail
from trueport.settings import Settings

KEEP = 200


class Outbox:
    def __init__(self, sessions: SessionFactory, *, keep: int = KEEP):
        self.sessions = sessions
        self.keep = keep

    async def put(self, mail: OutgoingMail) -> None:
        """Keep ``mail`` (committed on return) and drop what falls beyond the newest ``keep``; raises
        ``MailError`` if the database does not take it, as an SMTP server's refusal would."""
        try:
            async with self.sessions() as session:
                row = OutboxMail(recipient=mail.to, subject=mail.subject, text=mail.text, html=mail.html)
                session.add(row)
                await session.flush()
                newest = (
                    select(OutboxMail.id)
                    .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
                    .limit(self.keep)
                )
                # A derived table: MySQL-like engines refuse LIMIT in IN (...), and SQLite and PostgreSQL
                # accept both.
                kept = select(newest.subquery().c.id)
                await session.execute(delete(OutboxMail).where(OutboxMail.id.not_in(kept)))
                await session.commit()
        except SQLAlchemyError as exc:
            raise MailError(f"the outbox did not take the mail: {type(exc).__name__}") from exc

    async def recent(self, limit: int) -> list[OutboxMail]:
        """The newest ``limit`` mails, newest first."""
        async with self.sessions() as session:
            statement = (
                select(OutboxMail).order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()).limit(limit)
            )
            return list((await session.execute(statement)).scalars())


def open_outbox(settings: Settings, sessions: SessionFactory) -> Outbox | None:
    """The outbox when mail is kept rather than sent (development without an SMTP server), else None."""
    if settings.mail.host is None and settings.development:
        return Outbox(sessions)
    return None
