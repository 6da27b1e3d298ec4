from __future__ import annotations

import pytest

from trueport.mockprovider.faults import DirectiveError, Faults, parse_faults


def test_a_plain_model_has_no_faults() -> None:
    assert parse_faults("gpt-4o") == Faults("gpt-4o")


def test_every_directive_is_read() -> None:
    faults = parse_faults("m+status=429+delay=20+cut=3+hang+flaky=2+slowstream=100")
    assert faults == Faults("m", status=429, delay_ms=20, cut=3, hang=True, flaky=2, slowstream_ms=100)


@pytest.mark.parametrize(
    "model",
    ["m+stauts=503", "m+status", "m+status=abc", "m+status=200", "m+delay=-1", "m+flaky=0", "m+hang=1"],
)
def test_bad_directives_are_refused(model: str) -> None:
    with pytest.raises(DirectiveError):
        parse_faults(model)
