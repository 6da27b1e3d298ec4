"""Fault directives carried in a model name, e.g. ``gpt-4o+status=503`` or ``m+delay=200+cut=3``.

A model string is a base name followed by ``+``-separated directives. Config can point a route target
at a failing "model" this way, with no extra knobs on the emulator:

=================  ==========================================================================
``status=N``       answer with HTTP status N (400-599) in the provider's error shape;
                   429 also carries ``retry-after: 1``
``delay=MS``       wait MS milliseconds before answering
``cut=N``          streams: send N content chunks, then drop the connection before the
                   terminal event; plain answers: drop the connection halfway through the body
``hang``           accept the request and never answer (until the emulator shuts down)
``flaky=K``        every K-th request to this exact model string answers 503 (counter per
                   model string, starting at 1: with K=2 requests 2, 4, 6 ... fail)
``slowstream=MS``  wait MS milliseconds between consecutive content chunks of a stream
``usage=P,C``      OpenAI chat answers report ``prompt_tokens`` P and ``completion_tokens`` C as
                   given: an integer of any sign (beyond 64 bits it is sent as a float, as JSON
                   parsers read it), a decimal, or any other word as a string (``usage=many,5``)
=================  ==========================================================================

Directives are applied in this order: delay, hang, status, flaky, then the answer (cut, slowstream).
An unknown directive or a malformed value is refused with 400, so a typo does not pass silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


class DirectiveError(ValueError):
    """A model name carries a directive the emulator does not understand."""


@dataclass(frozen=True, slots=True)
class Faults:
    base: str
    status: int | None = None
    delay_ms: int = 0
    cut: int | None = None
    hang: bool = False
    flaky: int | None = None
    slowstream_ms: int = 0
    usage: tuple[int | float | str, int | float | str] | None = None


_INT_DIRECTIVES = frozenset({"status", "delay", "cut", "flaky", "slowstream"})


def _int_value(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise DirectiveError(f"mock directive {name!r} needs an integer, got {raw!r}") from None
    if value < 0:
        raise DirectiveError(f"mock directive {name!r} must not be negative")
    if name == "status" and not 400 <= value <= 599:
        raise DirectiveError("mock directive 'status' must be between 400 and 599")
    if name == "flaky" and value < 1:
        raise DirectiveError("mock directive 'flaky' must be at least 1")
    return value


@lru_cache(maxsize=1024)
def parse_faults(model: str) -> Faults:
    """Split ``model`` into its base name and directives; raises ``DirectiveError``."""
    base, *directives = model.split("+")
    ints: dict[str, int] = {}
    hang = False
    usage: tuple[int | float | str, int | float | str] | None = None
    for directive in directives:
        name, sep, raw = directive.partition("=")
        if name == "hang" and not sep:
            hang = True
        elif name in _INT_DIRECTIVES and sep:
            ints[name] = _int_value(name, raw)
        elif name == "usage" and raw.count(",") == 1:
            prompt, completion = raw.split(",")
            usage = (_usage_value(prompt), _usage_value(completion))
        else:
            raise DirectiveError(f"unknown mock directive {directive!r} in model {model!r}")
    return Faults(
        base,
        status=ints.get("status"),
        delay_ms=ints.get("delay", 0),
        cut=ints.get("cut"),
        hang=hang,
        flaky=ints.get("flaky"),
        slowstream_ms=ints.get("slowstream", 0),
        usage=usage,
    )


def _usage_value(raw: str) -> int | float | str:
    """A ``usage`` directive's count: an integer, else a float, else the word itself."""
    try:
        number = int(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            return raw
    return number if -(2**63) <= number < 2**64 else float(number)
