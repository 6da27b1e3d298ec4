"""Offline verification of an exported archive: only the files and the public keys, no network, no DB.

Checked, in order, each problem reported with where it is:

1. ``manifest.json``: canonical, signed by a given key; its list of segments is the archive.
2. No file missing, none extra.
3. Each segment, in order: its proofs file says it is that segment, of that tenant; its checkpoint is
   signed by a given key for the same origin; its ``previous_checkpoint`` is the previous segment's
   checkpoint, not larger nor older, and the consistency proof shows the later tree extends it.
4. Each event line: canonical JSON, the event the proofs list at that place, included in the
   segment's checkpoint (RFC 9162 inclusion proof), in log order without gaps (for a tenant's archive:
   its ``tenant_seq`` has no gap, every event is the tenant's).
5. Counts, index ranges and SHA-256 of both files agree with the signed manifest.

A tampered archive fails somewhere: an edited event no longer hashes into its checkpoint, a deleted or
moved one breaks the order or the proofs' list, a truncated file fails to decompress or loses its
count, swapped segments name the wrong number, a replayed old checkpoint is older than its
predecessor or no longer includes the events, and whatever was rewritten consistently with all that
no longer matches the signed manifest.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trueport.audit.canonical import CanonicalJSONError, is_canonical
from trueport.audit.checkpoints import Checkpoint
from trueport.audit.layout import (
    ARCHIVE_FORMAT,
    EVENTS_SUFFIX,
    MANIFEST_NAME,
    PROOFS_FORMAT,
    events_file,
    manifest_message,
    proofs_file,
    segment_name,
)
from trueport.audit.merkle import HASH_SIZE, leaf_hash, verify_consistency, verify_inclusion
from trueport.audit.signing import PublicKeys, verify_signature
from trueport.jsonutil import JSONDecodeError, loads

_SEGMENT_FILE = re.compile(r"segment-(\d{6})" + re.escape(EVENTS_SUFFIX))
_MAX_PROBLEMS = 1000
_MANIFEST_SEGMENT_KEYS = {
    "name",
    "events",
    "first_index",
    "last_index",
    "tree_size",
    "events_sha256",
    "proofs_sha256",
}


@dataclass(frozen=True, slots=True)
class Problem:
    location: str  # a file, optionally "line N (event I)"
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(slots=True)
class VerifyResult:
    events: int = 0
    segments: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_archive(directory: Path, public_keys: PublicKeys) -> VerifyResult:
    """Check the archive in ``directory`` against ``public_keys`` (by key id)."""
    return _Verifier(directory, public_keys).run()


class _Unreadable(Exception):
    """Stops checking the current file (its problem is already recorded)."""


@dataclass(slots=True)
class _Position:
    """Where the previous event and segment left off."""

    index: int | None = None
    tenant_seq: int | None = None
    checkpoint: Checkpoint | None = None
    known: bool = True  # False when the previous segment could not be read


class _Verifier:
    def __init__(self, directory: Path, keys: PublicKeys):
        self.directory = directory
        self.keys = keys
        self.result = VerifyResult()
        self.origin: str | None = None
        self.tenant_id: str | None = None

    def problem(self, location: str, message: str) -> None:
        if len(self.result.problems) < _MAX_PROBLEMS:
            self.result.problems.append(Problem(location, message))

    def run(self) -> VerifyResult:
        if not self.directory.is_dir():
            self.problem(str(self.directory), "not a directory")
            return self.result
        manifest = self._manifest()
        entries = self._segment_entries(manifest)
        self._check_files(len(entries))
        position = _Position()
        for number, entry in enumerate(entries, start=1):
            position = self._segment(number, entry, position)
        self.result.segments = len(entries)
        if manifest is not None and manifest.get("events") != self.result.events:
            self.problem(
                MANIFEST_NAME,
                f"lists {manifest.get('events')} events; the segments hold {self.result.events}",
            )
        return self.result

    # --- the manifest -----------------------------------------------------------------------------

    def _manifest(self) -> dict[str, Any] | None:
        try:
            data = (self.directory / MANIFEST_NAME).read_bytes()
        except OSError:
            self.problem(MANIFEST_NAME, "missing")
            return None
        try:
            manifest = loads(data)
        except JSONDecodeError:
            self.problem(MANIFEST_NAME, "not valid JSON (truncated or edited)")
            return None
        if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
            self.problem(MANIFEST_NAME, f"not a {ARCHIVE_FORMAT} manifest")
            return None
        if not data.endswith(b"\n") or not is_canonical(data[:-1], manifest):
            self.problem(MANIFEST_NAME, "not in canonical form (edited)")
        key, signature = manifest.get("key_id"), manifest.get("signature")
        if not isinstance(key, str) or key not in self.keys:
            self.problem(MANIFEST_NAME, f"signed by key {key!r}, which is not among the public keys given")
        elif not isinstance(signature, str) or not verify_signature(
            self.keys, key, _b64(signature), _manifest_message(manifest)
        ):
            self.problem(MANIFEST_NAME, "signature does not verify (the manifest was edited)")
        origin, tenant = manifest.get("origin"), manifest.get("tenant_id")
        self.origin = origin if isinstance(origin, str) else None
        self.tenant_id = tenant if isinstance(tenant, str) else None
        if not isinstance(manifest.get("events"), int):
            self.problem(MANIFEST_NAME, "events is not a count")
        return manifest

    def _segment_entries(self, manifest: dict[str, Any] | None) -> list[dict[str, Any] | None]:
        listed = manifest.get("segments") if manifest is not None else None
        if isinstance(listed, list):
            entries: list[dict[str, Any] | None] = []
            for number, entry in enumerate(listed, start=1):
                if not isinstance(entry, dict) or set(entry) != _MANIFEST_SEGMENT_KEYS:
                    self.problem(MANIFEST_NAME, f"segment entry {number} is malformed")
                    entries.append(None)
                    continue
                if entry["name"] != segment_name(number):
                    self.problem(MANIFEST_NAME, f"segment {number} is named {entry['name']!r}")
                entries.append(entry)
            return entries
        if manifest is not None:
            self.problem(MANIFEST_NAME, "has no list of segments")
        numbers = sorted(
            int(match.group(1))
            for path in self.directory.iterdir()
            if (match := _SEGMENT_FILE.fullmatch(path.name))
        )
        return [None] * (max(numbers) if numbers else 0)

    def _check_files(self, count: int) -> None:
        expected = {MANIFEST_NAME}
        for number in range(1, count + 1):
            expected.update((events_file(number), proofs_file(number)))
        for path in sorted(self.directory.iterdir()):
            if path.name not in expected:
                self.problem(path.name, "is not part of the archive the manifest describes")

    # --- one segment ------------------------------------------------------------------------------

    def _segment(self, number: int, entry: dict[str, Any] | None, position: _Position) -> _Position:
        proofs_name, events_name = proofs_file(number), events_file(number)
        try:
            proofs_data = self._read(proofs_name)
            document = self._proofs_document(proofs_name, proofs_data, number)
            checkpoint = self._checkpoint(proofs_name, document, number, position)
        except _Unreadable:
            return _Position(known=False)
        try:
            events_data = self._read(events_name)
            lines = self._lines(events_name, events_data)
        except _Unreadable:
            return _Position(checkpoint=checkpoint)
        listed = document["events"]
        position = self._events(events_name, lines, listed, checkpoint, position)
        if len(listed) > len(lines):
            self.problem(
                events_name,
                f"{len(listed) - len(lines)} events the proofs list are missing (deleted or truncated)",
            )
        if entry is not None:
            self._against_manifest(events_name, entry, lines, listed, checkpoint)
            self._digest(events_name, entry, "events_sha256", events_data)
            self._digest(proofs_name, entry, "proofs_sha256", proofs_data)
        return position

    def _read(self, name: str) -> bytes:
        try:
            return (self.directory / name).read_bytes()
        except OSError:
            self.problem(name, "missing")
            raise _Unreadable from None

    def _proofs_document(self, name: str, data: bytes, number: int) -> dict[str, Any]:
        try:
            document = loads(data)
        except JSONDecodeError:
            self.problem(name, "not valid JSON (truncated or edited)")
            raise _Unreadable from None
        if not isinstance(document, dict) or document.get("format") != PROOFS_FORMAT:
            self.problem(name, f"not a {PROOFS_FORMAT} document")
            raise _Unreadable
        if document.get("segment") != number:
            self.problem(
                name,
                f"is the proofs of segment {document.get('segment')!r}, not {number} (segments swapped or renamed)",
            )
            raise _Unreadable
        if document.get("tenant_id") != self.tenant_id:
            self.problem(name, f"belongs to tenant {document.get('tenant_id')!r}, not {self.tenant_id!r}")
        events = document.get("events")
        if not isinstance(events, list) or not all(_proof_entry(item) for item in events):
            self.problem(name, "the list of events and their proofs is malformed")
            raise _Unreadable
        if not _hashes(document.get("consistency_proof")):
            self.problem(name, "the consistency proof is malformed")
            raise _Unreadable
        return document

    def _checkpoint(
        self, name: str, document: dict[str, Any], number: int, position: _Position
    ) -> Checkpoint:
        try:
            checkpoint = Checkpoint.from_json(document.get("checkpoint"))
            previous = (
                Checkpoint.from_json(document["previous_checkpoint"])
                if document.get("previous_checkpoint") is not None
                else None
            )
        except ValueError as exc:
            self.problem(name, f"malformed checkpoint: {exc}")
            raise _Unreadable from None
        where = f"{name} checkpoint (tree size {checkpoint.tree_size})"
        if not checkpoint.verify(self.keys):
            self.problem(where, "signature does not verify (edited, or signed by a key not given)")
        if checkpoint.origin != self.origin:
            self.problem(where, f"is for log {checkpoint.origin!r}, not {self.origin!r}")
        if number == 1:
            if previous is not None:
                self.problem(name, "the first segment has a previous checkpoint (segments removed?)")
            return checkpoint
        if position.known and (previous is None or previous != position.checkpoint):
            self.problem(
                name,
                "previous_checkpoint is not the previous segment's checkpoint (segments reordered, removed or a checkpoint replaced)",
            )
        if previous is None:
            return checkpoint
        if checkpoint.tree_size < previous.tree_size or checkpoint.issued_at < previous.issued_at:
            self.problem(
                where,
                f"is older than the previous segment's (tree size {previous.tree_size}): a replayed old checkpoint",
            )
        elif checkpoint.tree_size == previous.tree_size and document["consistency_proof"]:
            self.problem(
                where,
                "is no newer than the previous segment's, yet comes with a proof of growth: a replayed old checkpoint",
            )
        elif not verify_consistency(
            previous.tree_size,
            checkpoint.tree_size,
            previous.root_hash,
            checkpoint.root_hash,
            [bytes.fromhex(value) for value in document["consistency_proof"]],
        ):
            self.problem(
                where, f"is not consistent with the previous checkpoint (tree size {previous.tree_size})"
            )
        return checkpoint

    def _lines(self, name: str, data: bytes) -> list[bytes]:
        try:
            text = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            self.problem(name, "not a complete gzip stream (truncated or altered)")
            raise _Unreadable from None
        lines = text.split(b"\n")
        if lines[-1]:
            self.problem(f"{name} line {len(lines)}", "cut short (the file was truncated)")
        return lines[:-1]

    def _events(
        self,
        name: str,
        lines: list[bytes],
        listed: list[dict[str, Any]],
        checkpoint: Checkpoint,
        position: _Position,
    ) -> _Position:
        index, tenant_seq = position.index, position.tenant_seq
        for number, line in enumerate(lines, start=1):
            where = f"{name} line {number}"
            if number > len(listed):
                self.problem(where, "has no inclusion proof (an event was added)")
                continue
            claimed = listed[number - 1]["index"]
            try:
                document = loads(line)
            except JSONDecodeError:
                document = None
            if not isinstance(document, dict) or not is_canonical(line, document):
                self.problem(f"{where} (event {claimed})", "not the canonical JSON of an event (edited)")
                continue
            seq = document.get("seq")
            where = f"{where} (event {seq})"
            if seq != claimed:
                self.problem(
                    where, f"the proofs list event {claimed} here (an event was deleted, added or moved)"
                )
                continue
            proof = [bytes.fromhex(value) for value in listed[number - 1]["proof"]]
            if not verify_inclusion(
                claimed, checkpoint.tree_size, leaf_hash(line), proof, checkpoint.root_hash
            ):
                self.problem(
                    where, f"not included in the checkpoint of tree size {checkpoint.tree_size} (altered)"
                )
                continue
            self.result.events += 1
            if index is not None and claimed <= index:
                self.problem(where, f"comes after event {index} (events reordered)")
            elif self.tenant_id is None and index is not None and claimed != index + 1:
                self.problem(where, f"events {index + 1} to {claimed - 1} are missing")
            if self.tenant_id is not None:
                tenant_seq = self._tenant_event(where, document, tenant_seq)
            index = claimed if index is None else max(index, claimed)
        return _Position(index, tenant_seq, checkpoint, position.known)

    def _tenant_event(self, where: str, document: dict[str, Any], previous: int | None) -> int | None:
        tenant_seq = document.get("tenant_seq")
        if document.get("tenant_id") != self.tenant_id or not isinstance(tenant_seq, int):
            self.problem(where, f"is not an event of tenant {self.tenant_id}")
            return previous
        if previous is not None and tenant_seq != previous + 1:
            self.problem(
                where,
                f"is the tenant's event {tenant_seq}, after {previous} (tenant events missing or reordered)",
            )
        return tenant_seq

    def _against_manifest(
        self,
        name: str,
        entry: dict[str, Any],
        lines: list[bytes],
        listed: list[dict[str, Any]],
        checkpoint: Checkpoint,
    ) -> None:
        if entry["events"] != len(lines):
            self.problem(name, f"holds {len(lines)} events; the manifest lists {entry['events']}")
        if listed and (entry["first_index"], entry["last_index"]) != (
            listed[0]["index"],
            listed[-1]["index"],
        ):
            self.problem(name, "its first and last events are not the ones the manifest lists")
        if entry["tree_size"] != checkpoint.tree_size:
            self.problem(
                name,
                f"its checkpoint is of tree size {checkpoint.tree_size}; the manifest says {entry['tree_size']}",
            )

    def _digest(self, name: str, entry: dict[str, Any] | None, key: str, data: bytes | None = None) -> None:
        if entry is None or data is None:
            return
        if hashlib.sha256(data).hexdigest() != entry[key]:
            self.problem(name, "differs from the file the manifest sealed (altered)")


def _manifest_message(manifest: dict[str, Any]) -> bytes:
    try:
        return manifest_message(manifest)
    except CanonicalJSONError:
        return b""  # verifies against no signature


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        return b""


def _hashes(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, str) and len(item) == 2 * HASH_SIZE and re.fullmatch(r"[0-9a-f]+", item) is not None
        for item in value
    )


def _proof_entry(item: object) -> bool:
    return (
        isinstance(item, dict)
        and set(item) == {"index", "proof"}
        and isinstance(item["index"], int)
        and not isinstance(item["index"], bool)
        and item["index"] >= 0
        and _hashes(item["proof"])
    )
