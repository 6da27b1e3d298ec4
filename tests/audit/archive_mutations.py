"""Ways to tamper with an exported archive, each a small change an attacker (or a broken disk) could make."""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from trueport.audit.canonical import canonical_json


def events_files(archive: Path) -> list[Path]:
    return sorted(archive.glob("segment-*.events.jsonl.gz"))


def proofs_path(events: Path) -> Path:
    return events.with_name(events.name.replace(".events.jsonl.gz", ".proofs.json"))


def read_lines(path: Path) -> list[bytes]:
    return gzip.decompress(path.read_bytes()).split(b"\n")[:-1]


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(gzip.compress(b"".join(line + b"\n" for line in lines), mtime=0))


def read_proofs(events: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(proofs_path(events).read_bytes())
    return document


def write_proofs(events: Path, document: dict[str, Any]) -> None:
    proofs_path(events).write_bytes(orjson.dumps(document) + b"\n")


def changed_value(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice([-1, 1, 1000])
    if isinstance(value, float):
        return value * 2 + 1
    if isinstance(value, str):
        return value + rng.choice(["x", " ", "0"]) if value else "x"
    if value is None:
        return rng.choice([0, "", False])
    if isinstance(value, list):
        return [*value, "extra"] if not value or rng.random() < 0.5 else value[:-1]
    return {**value, "extra": 1}


# --- the mutations ----------------------------------------------------------------------------------


def flip_byte(archive: Path, rng: random.Random) -> str:
    path = rng.choice(sorted(archive.iterdir()))
    data = bytearray(path.read_bytes())
    at = rng.randrange(len(data))
    data[at] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(data))
    return f"flip byte {at} of {path.name}"


def edit_event_field(archive: Path, rng: random.Random) -> str:
    path = rng.choice(events_files(archive))
    lines = read_lines(path)
    at = rng.randrange(len(lines))
    document = orjson.loads(lines[at])
    key = rng.choice(sorted(document))
    document[key] = changed_value(document[key], rng)
    lines[at] = canonical_json(document) if rng.random() < 0.8 else orjson.dumps(document)
    write_lines(path, lines)
    return f"edit {key} of line {at + 1} in {path.name}"


def delete_event(archive: Path, rng: random.Random) -> str:
    path = rng.choice(events_files(archive))
    lines = read_lines(path)
    at = rng.randrange(len(lines))
    del lines[at]
    write_lines(path, lines)
    if rng.random() < 0.5:  # and its proof, so the segment is self-consistent
        proofs = read_proofs(path)
        del proofs["events"][at]
        write_proofs(path, proofs)
    return f"delete line {at + 1} of {path.name}"


def reorder_events(archive: Path, rng: random.Random) -> str:
    files = events_files(archive)
    path = rng.choice([path for path in files if len(read_lines(path)) >= 2] or files)
    lines = read_lines(path)
    if len(lines) >= 2 and rng.random() < 0.7:
        i, j = rng.sample(range(len(lines)), 2)
        lines[i], lines[j] = lines[j], lines[i]
        write_lines(path, lines)
        if rng.random() < 0.5:
            proofs = read_proofs(path)
            proofs["events"][i], proofs["events"][j] = proofs["events"][j], proofs["events"][i]
            write_proofs(path, proofs)
        return f"swap lines {i + 1} and {j + 1} of {path.name}"
    other = rng.choice([candidate for candidate in files if candidate != path])
    moved = lines.pop(rng.randrange(len(lines)))
    target = read_lines(other)
    target.insert(rng.randrange(len(target) + 1), moved)
    write_lines(path, lines)
    write_lines(other, target)
    return f"move an event from {path.name} to {other.name}"


def truncate(archive: Path, rng: random.Random) -> str:
    choice = rng.random()
    files = events_files(archive)
    if choice < 0.4:
        path = rng.choice(sorted(archive.iterdir()))
        data = path.read_bytes()
        keep = rng.randrange(len(data))
        path.write_bytes(data[:keep])
        return f"truncate {path.name} to {keep} bytes"
    last = files[-1]
    if choice < 0.8:
        lines = read_lines(last)
        drop = rng.randint(1, len(lines))
        write_lines(last, lines[:-drop])
        if rng.random() < 0.5:
            proofs = read_proofs(last)
            proofs["events"] = proofs["events"][:-drop]
            write_proofs(last, proofs)
        return f"drop the last {drop} events of {last.name}"
    last.unlink()
    proofs_path(last).unlink()
    return f"remove the last segment {last.name}"


def swap_segments(archive: Path, rng: random.Random) -> str:
    first, second = rng.sample(events_files(archive), 2)
    which = rng.choice(["both", "events", "proofs"])
    pairs = []
    if which in ("both", "events"):
        pairs.append((first, second))
    if which in ("both", "proofs"):
        pairs.append((proofs_path(first), proofs_path(second)))
    for a, b in pairs:
        data_a, data_b = a.read_bytes(), b.read_bytes()
        a.write_bytes(data_b)
        b.write_bytes(data_a)
    return f"swap {which} of {first.name} and {second.name}"


def replay_old_checkpoint(archive: Path, rng: random.Random) -> str:
    files = events_files(archive)
    checkpoints = [read_proofs(path)["checkpoint"] for path in files]
    candidates = [
        (k, old)
        for k in range(len(files))
        for old in checkpoints
        if old["tree_size"] < checkpoints[k]["tree_size"]
    ]
    k, old = rng.choice(candidates)
    proofs = read_proofs(files[k])
    proofs["checkpoint"] = old
    if rng.random() < 0.5:
        proofs["consistency_proof"] = []
    write_proofs(files[k], proofs)
    if rng.random() < 0.5 and k + 1 < len(files):  # keep the chain looking intact
        following = read_proofs(files[k + 1])
        following["previous_checkpoint"] = old
        write_proofs(files[k + 1], following)
    return f"replace the checkpoint of {files[k].name} (size {checkpoints[k]['tree_size']}) by size {old['tree_size']}"


def edit_proof(archive: Path, rng: random.Random) -> str:
    path = rng.choice(events_files(archive))
    proofs = read_proofs(path)
    entries = [entry for entry in proofs["events"] if entry["proof"]]
    if proofs["consistency_proof"] and (rng.random() < 0.3 or not entries):
        at = rng.randrange(len(proofs["consistency_proof"]))
        proofs["consistency_proof"][at] = f"{rng.getrandbits(256):064x}"
        write_proofs(path, proofs)
        return f"replace consistency hash {at} in {path.name}"
    entry = rng.choice(entries or proofs["events"])
    if entry["proof"] and rng.random() < 0.7:
        at = rng.randrange(len(entry["proof"]))
        entry["proof"][at] = f"{rng.getrandbits(256):064x}"
    else:
        entry["index"] += rng.choice([-1, 1])
    write_proofs(path, proofs)
    return f"edit a proof in {path.name}"


def duplicate_event(archive: Path, rng: random.Random) -> str:
    path = rng.choice(events_files(archive))
    lines = read_lines(path)
    at = rng.randrange(len(lines))
    lines.insert(at, lines[at])
    write_lines(path, lines)
    if rng.random() < 0.5:
        proofs = read_proofs(path)
        proofs["events"].insert(at, proofs["events"][at])
        write_proofs(path, proofs)
    return f"replay line {at + 1} of {path.name}"


def delete_file(archive: Path, rng: random.Random) -> str:
    path = rng.choice(sorted(archive.iterdir()))
    path.unlink()
    return f"delete {path.name}"


def edit_manifest(archive: Path, rng: random.Random) -> str:
    path = archive / "manifest.json"
    manifest = orjson.loads(path.read_bytes())
    segment = rng.choice(manifest["segments"])
    key = rng.choice(["events", "first_index", "last_index", "tree_size", "events_sha256", "name"])
    segment[key] = changed_value(segment[key], rng)
    if rng.random() < 0.3:
        manifest["segments"].remove(segment)
    path.write_bytes(canonical_json(manifest) + b"\n")
    return f"edit {key} of {segment['name']} in the manifest"


MUTATIONS: list[Callable[[Path, random.Random], str]] = [
    flip_byte,
    edit_event_field,
    delete_event,
    reorder_events,
    truncate,
    swap_segments,
    replay_old_checkpoint,
    edit_proof,
    duplicate_event,
    delete_file,
    edit_manifest,
]


def snapshot(archive: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(archive.iterdir())}
