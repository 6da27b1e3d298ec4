"""RFC 9162 Merkle trees: known answers, and the efficient code against a literal reference over many sizes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trueport.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Node,
    consistency_ranges,
    cover,
    frontier,
    inclusion_ranges,
    leaf_hash,
    range_hash,
    verify_consistency,
    verify_inclusion,
)

# --- the reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 written as literally as possible ----------


def ref_mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, leaves[:k], b), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def ref_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    return ref_subproof(m, leaves, True)


# --- a store of every complete subtree, filled by CompactRange (what the database holds) -------------


class Store:
    def __init__(self, leaves: list[bytes]):
        self.nodes: dict[Node, bytes] = {}
        self.tree = CompactRange()
        self.roots = [EMPTY_ROOT]
        for index, leaf in enumerate(leaves):
            hashed = leaf_hash(leaf)
            self.nodes[(0, index)] = hashed
            for level, at, value in self.tree.append(hashed):
                self.nodes[(level, at)] = value
            self.roots.append(self.tree.root())

    def hashes(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        return [range_hash(lo, hi, self.nodes.__getitem__) for lo, hi in ranges]


def leaves_of(count: int, salt: int = 0) -> list[bytes]:
    return [f"event {salt}/{i}".encode() for i in range(count)]


# --- known answers (the Certificate Transparency test vectors) ----------------------------------------

CT_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (leaf index, tree size, proof)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CT_CONSISTENCY = [  # (first size, second size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def test_tree_heads_match_the_ct_vectors() -> None:
    store = Store(CT_LEAVES)
    assert [root.hex() for root in store.roots] == CT_ROOTS
    assert [ref_mth(CT_LEAVES[:n]).hex() for n in range(9)] == CT_ROOTS


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_inclusion_proofs_match_the_ct_vectors(index: int, size: int, expected: list[str]) -> None:
    store = Store(CT_LEAVES)
    proof = store.hashes(inclusion_ranges(index, size))
    assert [p.hex() for p in proof] == expected
    assert verify_inclusion(index, size, leaf_hash(CT_LEAVES[index]), proof, store.roots[size])


@pytest.mark.parametrize(("first", "second", "expected"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_ct_vectors(first: int, second: int, expected: list[str]) -> None:
    store = Store(CT_LEAVES)
    proof = store.hashes(consistency_ranges(first, second))
    assert [p.hex() for p in proof] == expected
    assert verify_consistency(first, second, store.roots[first], store.roots[second], proof)


# --- properties over many tree sizes ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=600), st.data())
def test_inclusion_proofs_equal_the_reference_and_verify(size: int, data: st.DataObject) -> None:
    leaves = leaves_of(size, salt=size)
    store = Store(leaves)
    assert store.roots[size] == ref_mth(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = store.hashes(inclusion_ranges(index, size))
    assert proof == ref_path(index, leaves)
    root = store.roots[size]
    assert verify_inclusion(index, size, leaf_hash(leaves[index]), proof, root)

    # Any change is refused: another leaf, another index, another head, a changed or missing hash.
    # (The size alone is not bound by the proof, e.g. leaf 0 of 3 and of 4 take the same path; the
    # checkpoint signs size and head together.)
    other = (index + 1) % size
    if other != index:
        assert not verify_inclusion(index, size, leaf_hash(leaves[other]), proof, root)
        assert not verify_inclusion(other, size, leaf_hash(leaves[index]), proof, root)
    assert not verify_inclusion(index, index, leaf_hash(leaves[index]), proof, root)
    assert not verify_inclusion(index, size, leaf_hash(leaves[index]), proof, store.roots[size - 1])
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="position")
        flipped = bytes([proof[position][0] ^ 1]) + proof[position][1:]
        altered = [*proof[:position], flipped, *proof[position + 1 :]]
        assert not verify_inclusion(index, size, leaf_hash(leaves[index]), altered, root)
        assert not verify_inclusion(index, size, leaf_hash(leaves[index]), proof[:-1], root)
    assert not verify_inclusion(index, size, leaf_hash(leaves[index]), [*proof, root], root)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=600), st.data())
def test_consistency_proofs_equal_the_reference_and_verify(second: int, data: st.DataObject) -> None:
    leaves = leaves_of(second, salt=second)
    store = Store(leaves)
    first = data.draw(st.integers(min_value=1, max_value=second), label="first")
    proof = store.hashes(consistency_ranges(first, second))
    assert proof == ref_proof(first, leaves)
    old, new = store.roots[first], store.roots[second]
    assert verify_consistency(first, second, old, new, proof)

    # A rewritten history is not consistent: change one leaf below `first`, rebuild, compare.
    changed = data.draw(st.integers(min_value=0, max_value=first - 1), label="changed")
    forged = Store([*leaves[:changed], b"rewritten", *leaves[changed + 1 :]])
    forged_proof = forged.hashes(consistency_ranges(first, second))
    assert not verify_consistency(first, second, old, forged.roots[second], forged_proof)
    if first < second:
        assert not verify_consistency(first, second, old, new, proof[:-1])
        assert not verify_consistency(second, first, new, old, proof)
        assert not verify_consistency(first, second, new, new, proof)
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="position")
        flipped = bytes([proof[position][0] ^ 1]) + proof[position][1:]
        assert not verify_consistency(
            first, second, old, new, [*proof[:position], flipped, *proof[position + 1 :]]
        )


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=5000))
def test_the_compact_range_is_the_frontier_and_its_head_is_the_tree_head(size: int) -> None:
    leaves = leaves_of(size)
    store = Store(leaves)
    assert store.tree.size == size
    assert store.tree.root() == ref_mth(leaves) if size <= 700 else True
    # Reloading from the stored frontier (what each group commit does) continues identically.
    reloaded = CompactRange(size, [store.nodes[node] for node in frontier(size)])
    assert reloaded.root() == store.tree.root()
    reloaded.append(leaf_hash(b"next"))
    assert reloaded.root() == Store([*leaves, b"next"]).tree.root()


def test_every_complete_subtree_is_stored_once() -> None:
    store = Store(leaves_of(1000))
    # 1000 leaves: 999 + popcount... every aligned complete subtree, i.e. sum(1000 >> level).
    assert len(store.nodes) == sum(1000 >> level for level in range(11))
    for (level, index), value in store.nodes.items():
        lo, hi = index << level, (index + 1) << level
        assert value == ref_mth(leaves_of(1000)[lo:hi])
        assert cover(lo, hi) == [(level, index)]


def test_ranges_outside_the_recursion_are_refused() -> None:
    with pytest.raises(ValueError, match="not a subtree"):
        cover(1, 4)
    with pytest.raises(ValueError):
        inclusion_ranges(3, 3)
    with pytest.raises(ValueError):
        consistency_ranges(4, 3)
