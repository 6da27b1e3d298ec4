from __future__ import annotations

from trueport.keys.crypto import KEY_LENGTH, display_prefix, generate_key, hash_key, is_well_formed


def test_generated_keys_are_well_formed_and_distinct() -> None:
    keys = {generate_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(len(k) == KEY_LENGTH and k.startswith("tp_") and is_well_formed(k) for k in keys)


def test_a_changed_character_breaks_the_checksum() -> None:
    key = generate_key()
    for position in range(3, len(key)):
        replacement = "a" if key[position] != "a" else "b"
        assert not is_well_formed(key[:position] + replacement + key[position + 1 :])


def test_malformed_keys() -> None:
    assert not is_well_formed("")
    assert not is_well_formed("sk-" + "a" * 38)
    assert not is_well_formed(generate_key()[:-1])
    assert not is_well_formed("tp_" + "!" * 38)


def test_hash_is_keyed_and_hides_the_key() -> None:
    key = generate_key()
    one, two = hash_key(b"s" * 32, key), hash_key(b"t" * 32, key)
    assert one != two
    assert key not in one
    assert len(one) == 64
    assert display_prefix(key) == key[:9]
