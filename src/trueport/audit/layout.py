"""The layout of an exported audit archive (written by ``archive``, checked by ``verify``).

A directory with::

    manifest.json                      canonical JSON, signed: what the archive holds, in order
    segment-000001.events.jsonl.gz     the events, one canonical JSON leaf per line, exactly as hashed
    segment-000001.proofs.json         the segment's checkpoint, the previous segment's checkpoint and
                                       the consistency proof between them, and an inclusion proof
                                       for every event (same order as the lines)
    segment-000002....

Segments follow the log's checkpoints: a segment holds events covered by its checkpoint and not by
the previous segment's, at most ``segment_events`` of them. The manifest lists every segment with its
event count, index range and the SHA-256 of both files, and is signed with the checkpoint key under
its own context line (``trueport-audit-manifest/1``), so a signature over one kind of message is
never valid for another.
"""

from __future__ import annotations

from typing import Any

from trueport.audit.canonical import canonical_json

ARCHIVE_FORMAT = "trueport-audit-archive/1"
PROOFS_FORMAT = "trueport-audit-proofs/1"
MANIFEST_NAME = "manifest.json"
EVENTS_SUFFIX = ".events.jsonl.gz"
PROOFS_SUFFIX = ".proofs.json"
_MANIFEST_CONTEXT = b"trueport-audit-manifest/1\n"


def segment_name(number: int) -> str:
    return f"segment-{number:06d}"


def events_file(number: int) -> str:
    return segment_name(number) + EVENTS_SUFFIX


def proofs_file(number: int) -> str:
    return segment_name(number) + PROOFS_SUFFIX


def manifest_message(manifest: dict[str, Any]) -> bytes:
    """What the manifest's signature covers: every field but the signature, canonically."""
    unsigned = {key: value for key, value in manifest.items() if key != "signature"}
    return _MANIFEST_CONTEXT + canonical_json(unsigned)
