"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), §2.1: hashing, proofs, verification.

Leaves are hashed as SHA-256(0x00 || leaf), interior nodes as SHA-256(0x01 || left || right); the
tree head of n leaves splits at the largest power of two smaller than n. The empty tree's head is
SHA-256 of nothing.

Storage-independent: proofs are produced as lists of *ranges* of leaves [lo, hi) whose tree heads
are the proof's entries; ``cover(lo, hi)`` names the complete, aligned subtrees (level, index) a
range folds from, so a store that keeps the hash of every complete subtree answers any proof with
O(log n) lookups. ``CompactRange`` is the right edge of the tree (one hash per set bit of the size):
appending is amortised O(1), worst case O(log n), and yields the new subtree hashes to store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]  # leaves [lo, hi)
# (level, index): the complete subtree of leaves [index << level, (index + 1) << level)
Node = tuple[int, int]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (``size`` >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


# --- proof generation, as ranges ------------------------------------------------------------------


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, as leaf ranges, from the leaf up to the root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """PROOF(first, D[0:second]) of RFC 9162 §2.1.4.1, as leaf ranges, deepest first.

    Empty when ``first`` is 0 or equal to ``second`` (nothing to prove).
    """
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    if first in (0, second):
        return []
    ranges: list[Range] = []
    lo, hi, m, complete = 0, second, first, True
    while m != hi - lo:
        k = split_point(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            complete = False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def cover(lo: int, hi: int) -> list[Node]:
    """The complete subtrees, left to right, whose right-to-left fold is the head of leaves [lo, hi).

    Valid for the ranges the RFC recursion produces (``lo`` a multiple of the largest power of two
    not above ``hi - lo``), which is every range ``inclusion_ranges`` and ``consistency_ranges`` return.
    """
    nodes: list[Node] = []
    size = hi - lo
    if size <= 0:
        raise ValueError(f"empty range [{lo}, {hi})")
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            if lo & ((1 << level) - 1):
                raise ValueError(f"[{lo}, {hi}) is not a subtree of the RFC 9162 recursion")
            nodes.append((level, lo >> level))
            lo += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The head of a range from the hashes of its cover (largest subtree first)."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def range_hash(lo: int, hi: int, lookup: Callable[[Node], bytes]) -> bytes:
    if lo == hi:
        return EMPTY_ROOT
    return fold([lookup(node) for node in cover(lo, hi)])


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every stored subtree the given ranges need (to fetch them in one go)."""
    needed: set[Node] = set()
    for lo, hi in ranges:
        if lo != hi:
            needed.update(cover(lo, hi))
    return needed


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2, step by step) ------------------------------------


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``leaf`` (a leaf *hash*) is leaf ``index`` of the tree of ``size`` with head ``root``."""
    if not 0 <= index < size or any(len(entry) != HASH_SIZE for entry in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether the tree of ``second`` leaves with head ``second_root`` extends the one of ``first``."""
    if not 0 <= first <= second or any(len(entry) != HASH_SIZE for entry in proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the old head is itself a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# --- the right edge of a growing tree ---------------------------------------------------------------


def frontier(size: int) -> list[Node]:
    """The complete subtrees covering leaves [0, size), largest first (what ``CompactRange`` holds)."""
    return cover(0, size) if size else []


class CompactRange:
    """The hashes of ``frontier(size)``: enough to append leaves and compute the head, nothing more."""

    __slots__ = ("_hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()):
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a tree of {size} leaves has {size.bit_count()} frontier hashes, not {len(hashes)}"
            )
        self.size = size
        self._hashes = list(hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf *hash*; returns the complete subtrees it finished as (level, index, hash)."""
        finished: list[tuple[int, int, bytes]] = []
        value, index, level = leaf, self.size, 0
        while index & 1:  # the leaf completes a subtree with each trailing 1 bit of the old size
            value = node_hash(self._hashes.pop(), value)
            index >>= 1
            level += 1
            finished.append((level, index, value))
        self._hashes.append(value)
        self.size += 1
        return finished

    def root(self) -> bytes:
        return fold(self._hashes)
