"""The test SMTP server receives what a standard client sends, and ``wait_for`` finds it."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from support.smtp import SmtpSink, body_html, body_text


def test_the_sink_receives_a_message_sent_with_smtplib() -> None:
    sink = SmtpSink().start()
    try:
        message = EmailMessage()
        message["From"] = "sender@example.org"
        message["To"] = "Rcpt@Example.org"
        message["Subject"] = "Hello"
        message.set_content("plain body")
        message.add_alternative("<p>html body</p>", subtype="html")
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            refused = client.send_message(message, to_addrs=["Rcpt@Example.org", "cc@example.org"])
        assert refused == {}
        assert sink.recipients == [["Rcpt@Example.org", "cc@example.org"]]
        [received] = sink.messages
        assert received["Subject"] == "Hello"
        assert body_text(received).strip() == "plain body"
        assert body_html(received).strip() == "<p>html body</p>"
    finally:
        sink.stop()


async def test_wait_for_matches_recipients_case_insensitively_and_times_out() -> None:
    sink = SmtpSink().start()
    try:
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            client.sendmail("a@example.org", ["Bob@Example.org"], b"Subject: hi\r\n\r\nbody\r\n")
        received = await sink.wait_for("bob@example.org")
        assert received["Subject"] == "hi"
        with pytest.raises(AssertionError, match=r"no mail to carol@example\.org"):
            await sink.wait_for("carol@example.org", timeout_s=0.1)
    finally:
        sink.stop()


def test_mail_settings_point_at_the_sink() -> None:
    sink = SmtpSink().start()  # started: stop() is what closes the sink's event loop
    try:
        settings = sink.mail_settings()
        assert (settings["host"], settings["port"], settings["security"]) == (sink.host, sink.port, "none")
    finally:
        sink.stop()
