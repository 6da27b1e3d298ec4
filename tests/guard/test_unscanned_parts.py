"""The content parts the guard does not scan (anything but text), as ``unscanned_parts`` lists them."""

from __future__ import annotations

from trueport.formats.parts import DocumentPart
from trueport.gateway.guard_report import GuardReport
from trueport.guard.messages import unscanned_parts


def test_every_non_text_part_is_listed_in_order() -> None:
    request = {
        "messages": [
            {"role": "system", "content": "plain text"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "https://x.example/a.png"}},
                    {"type": "input_audio", "input_audio": {"data": "", "format": "wav"}},
                    DocumentPart(type="text", text="an attached document is text, and scanned"),
                ],
            },
            {"role": "tool", "tool_call_id": "c", "content": [{"type": "file", "file": {"file_data": "x"}}]},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]},
        ]
    }
    assert unscanned_parts(request) == ["image_url", "input_audio", "file"]


def test_hostile_part_types_are_named_other() -> None:
    request = {
        "messages": [
            {
                "role": "user",
                "content": [{"type": "x\n" * 50}, {"type": ["list"]}, {}, "not a part", {"type": "A"}],
            }
        ]
    }
    assert unscanned_parts(request) == ["other"] * 5


def test_a_text_only_request_has_none() -> None:
    assert unscanned_parts({"messages": [{"role": "user", "content": "hi"}]}) == []
    assert unscanned_parts({"messages": "nonsense"}) == []
    assert unscanned_parts({}) == []


def test_the_report_header_counts_them() -> None:
    report = GuardReport()
    assert report.header() is None
    report.unscanned_parts = 3
    assert report.header() == (b"x-trueport-guard", b"unscanned_parts=3")
