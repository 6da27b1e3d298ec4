"""The mails TruePort sends, each in plain text and HTML, from the files in ``template_files/``.

Templates are ``string.Template`` files (``$name`` placeholders, no logic) read with
``importlib.resources``, so they ship inside the wheel. Every value put into an HTML part is
HTML-escaped: tenant names, inviters' names and alert lines are chosen by users, and a mail client
must not render them as markup. Links must be http(s) so that no ``javascript:`` URL becomes an href.
Subjects are one line: whitespace (line breaks included) collapses to single spaces.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from string import Template
from urllib.parse import urlsplit

from trueport.platform.mail.mailer import OutgoingMail

_SUBJECT_MAX = 200


@cache
def _template(name: str) -> Template:
    text = (
        resources.files("trueport.platform.mail").joinpath("template_files", name).read_text(encoding="utf-8")
    )
    return Template(text)


def _render_text(name: str, values: dict[str, str]) -> str:
    return _template(f"{name}.txt").substitute(values)


def _render_html(name: str, values: dict[str, str], *, markup: dict[str, str] | None = None) -> str:
    """``values`` are escaped; ``markup`` holds fragments already rendered by ``_render_html``."""
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
    return _template(f"{name}.html").substitute(escaped | (markup or {}))


def _subject(text: str) -> str:
    subject = " ".join(text.split())
    return subject if len(subject) <= _SUBJECT_MAX else subject[: _SUBJECT_MAX - 1] + "…"


def _link(url: str) -> str:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ValueError("mail links must be http(s) URLs")
    return url


def _when(moment: datetime) -> str:
    """``2026-12-11 22:25 UTC`` (a naive datetime is taken as UTC, as the database stores it)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def invitation_mail(
    *, to: str, tenant_name: str, role: str, inviter: str | None, accept_url: str, expires_at: datetime
) -> OutgoingMail:
    """An invitation to join ``tenant_name`` with ``role``; ``accept_url`` carries the one-time token."""
    subject = _subject(f"You are invited to join {tenant_name} on TruePort")
    values = {
        "subject": subject,
        "invited_by": f"{inviter} has invited you" if inviter else "You have been invited",
        "tenant_name": tenant_name,
        "role": role,
        "accept_url": _link(accept_url),
        "expires_at": _when(expires_at),
    }
    return OutgoingMail(
        to=to,
        subject=subject,
        text=_render_text("invitation", values),
        html=_render_html("invitation", values),
    )


def password_reset_mail(*, to: str, reset_url: str, expires_at: datetime) -> OutgoingMail:
    """A password reset link (one-time token in ``reset_url``)."""
    subject = _subject("Reset your TruePort password")
    values = {"subject": subject, "reset_url": _link(reset_url), "expires_at": _when(expires_at)}
    return OutgoingMail(
        to=to,
        subject=subject,
        text=_render_text("password_reset", values),
        html=_render_html("password_reset", values),
    )


def alert_mail(
    *, to: str, tenant_name: str, title: str, lines: list[str], dashboard_url: str | None = None
) -> OutgoingMail:
    """A notice about ``tenant_name`` (a limit reached, a credential failing...), one fact per line."""
    subject = _subject(f"[TruePort] {tenant_name}: {title}")
    values = {"subject": subject, "tenant_name": tenant_name, "title": " ".join(title.split())}
    link = {"dashboard_url": _link(dashboard_url)} if dashboard_url is not None else None
    text_lines = "".join(_render_text("alert_line", {"line": line}) for line in lines)
    html_lines = "".join(_render_html("alert_line", {"line": line}) for line in lines)
    return OutgoingMail(
        to=to,
        subject=subject,
        text=_render_text(
            "alert",
            values
            | {"lines": text_lines, "dashboard": _render_text("alert_dashboard", link) if link else ""},
        ),
        html=_render_html(
            "alert",
            values,
            markup={"lines": html_lines, "dashboard": _render_html("alert_dashboard", link) if link else ""},
        ),
    )
