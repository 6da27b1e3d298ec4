"""Summaries and the Markdown table: overheads against the same round, failures and errors shown loudly."""

from __future__ import annotations

from typing import Any

from loadgen import percentile, summarize_ms
from measure import FixedRate, Saturation, ServerCpu
from report import DIRECT, Row, Trial, render_markdown, summarize


def fixed(p50: float, p99: float, *, non_2xx: dict[str, int] | None = None) -> FixedRate:
    return FixedRate(
        rate=200,
        scheduled=100,
        completed=100,
        ok=100 - sum((non_2xx or {}).values()),
        non_2xx=non_2xx or {},
        errors={},
        unfinished=0,
        latency_ms={"p50": p50, "p99": p99},
        send_lag_ms={"p99": 0.5},
        server_cpu=cpu(0.5),
    )


def cpu(serving_ms: float, background_ms: float = 0.0) -> ServerCpu:
    return ServerCpu(
        serving_ms=serving_ms,
        background_ms=background_ms,
        installation_ms=serving_ms + background_ms,
        processes=2 if background_ms else 1,
        background_processes=1 if background_ms else 0,
        processes_ended=0,
    )


def sat(
    rps: float, errors: dict[str, int] | None = None, cpu_ms: float = 0.5, background_ms: float = 0.0
) -> Saturation:
    return Saturation(
        requests_per_s=rps,
        requests=int(rps * 10),
        duration_s=10,
        errors=errors or {},
        latency_ms={},
        server_cpu=cpu(cpu_ms, background_ms),
    )


def meta() -> dict[str, Any]:
    return {
        "date": "2026-01-01 00:00:00 UTC",
        "machine": {"cpu_model": "cpu", "cores": 2, "memory_gib": 1, "kernel": "k", "python": "3.11"},
        "placement": "p",
        "network": "n",
        "wrk_version": "wrk",
        "command": "c",
        "load_before": 0.1,
        "load_after": 0.1,
        "settings": {
            "connections": 64,
            "warmup_s": 3,
            "duration_s": 10,
            "rate": 200,
            "rate_warmup_s": 2,
            "rate_duration_s": 15,
            "half_saturation_fraction": 0.5,
            "delay_ms": 50,
            "repeat": 2,
        },
        "notes": [],
    }


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert summarize_ms([0.001, 0.002])["max"] == 2.0


def test_overhead_is_paired_with_the_direct_run_of_the_same_round() -> None:
    rows = [
        Row(DIRECT, "upstream", "v", [Trial(fixed_rate=fixed(50, 55)), Trial(fixed_rate=fixed(60, 65))]),
        Row(
            "bare",
            "bare",
            "v",
            [
                Trial(fixed_rate=fixed(51, 57), saturation=sat(1000)),
                Trial(fixed_rate=fixed(61, 67), saturation=sat(3000)),
            ],
        ),
    ]
    bare = summarize(rows, 200)[1]
    assert bare.overhead_p50_ms == 1.0
    assert bare.overhead_p99_ms == 2.0
    assert bare.saturation_rps == 2000  # median of the rounds


def test_failures_and_errors_are_loud_and_ratios_use_the_same_run() -> None:
    rows = [
        Row(DIRECT, "upstream", "v", [Trial(fixed_rate=fixed(50, 55))]),
        Row("bare", "bare pass-through", "v", [Trial(fixed_rate=fixed(51, 56), saturation=sat(4000))]),
        Row(
            "trueport",
            "TruePort",
            "v",
            [Trial(fixed_rate=fixed(52, 58, non_2xx={"429": 3}), saturation=sat(2000, {"status": 5}))],
        ),
        Row("litellm", "LiteLLM proxy", "v", [Trial(failure="LiteLLM unavailable: no venv")]),
    ]
    summaries = summarize(rows, 200)
    trueport = summaries[2]
    assert trueport.errors == 8
    markdown = render_markdown(meta(), summaries)
    assert "THIS RUN HAD ERRORS" in markdown
    assert "**⚠ 5 / 3 / 0**" in markdown
    assert "| LiteLLM proxy | **FAILED**" in markdown
    assert "LiteLLM proxy FAILED**: LiteLLM unavailable: no venv" in markdown
    assert "| TruePort / bare | 0.50x | 2.00x | 3.00x | 1.00x | 1.00x |" in markdown
    assert "TruePort / LiteLLM" not in markdown


def test_a_system_slower_than_the_fixed_rate_is_marked_overloaded() -> None:
    timeouts = fixed(9000, 10000)
    timeouts.errors = {"TimeoutError": 500}
    rows = [
        Row(DIRECT, "upstream", "v", [Trial(fixed_rate=fixed(50, 55))]),
        Row("trueport", "TruePort", "v", [Trial(fixed_rate=fixed(52, 58), saturation=sat(2000, cpu_ms=0.4))]),
        Row("litellm", "LiteLLM proxy", "v", [Trial(fixed_rate=timeouts, saturation=sat(100, cpu_ms=8))]),
    ]
    summaries = summarize(rows, 200)
    assert [summary.overloaded for summary in summaries] == [False, False, True]
    markdown = render_markdown(meta(), summaries)
    assert "| overloaded | overloaded |" in markdown
    assert "| TruePort / LiteLLM | 20.00x | n/a | n/a | 0.05x | 0.05x |" in markdown
    assert "LiteLLM proxy: overloaded by the fixed rate of 200 req/s (saturates at 100 req/s)" in markdown


def test_one_starved_round_is_left_out_of_the_overheads_not_the_whole_row() -> None:
    direct = [Trial(fixed_rate=fixed(50, 55)) for _ in range(3)]
    starved = Trial(fixed_rate=fixed(900, 5000), saturation=sat(150))
    starved.discarded = [fixed(800, 4000)]
    trueport = [
        Trial(fixed_rate=fixed(51, 57), saturation=sat(2000)),
        starved,
        Trial(fixed_rate=fixed(53, 59), saturation=sat(2100)),
    ]
    rows = [Row(DIRECT, "upstream", "v", direct), Row("trueport", "TruePort", "v", trueport)]
    summary = summarize(rows, 200)[1]
    assert not summary.overloaded
    assert summary.overhead_p50_ms == 2.0  # median of rounds 1 and 3 only
    assert any("round(s) [2] could not keep up" in warning for warning in summary.warnings)
    assert any("round 2: a fixed-rate attempt was measured again" in warning for warning in summary.warnings)


def test_half_saturation_overhead_is_against_the_upstream_alone_at_that_rate() -> None:
    half, baseline = fixed(53, 60), fixed(50, 54)
    half.rate = baseline.rate = 1000
    rows = [
        Row(DIRECT, "upstream", "v", [Trial(fixed_rate=fixed(50, 55))]),
        Row(
            "trueport",
            "TruePort",
            "v",
            [
                Trial(
                    fixed_rate=fixed(52, 58), saturation=sat(2000), half_rate=half, half_rate_direct=baseline
                )
            ],
        ),
    ]
    direct, trueport = summarize(rows, 200)
    assert (trueport.half_rate_rps, trueport.half_overhead_p50_ms, trueport.half_overhead_p99_ms) == (
        1000,
        3,
        6,
    )
    assert direct.half_rate_rps is None
    assert "| 1,000 | +3.00 | +6.00 |" in render_markdown(meta(), [direct, trueport])


def test_cpu_is_split_into_serving_background_and_installation() -> None:
    rows = [
        Row(DIRECT, "upstream", "v", [Trial(fixed_rate=fixed(50, 55))]),
        Row("trueport", "TruePort", "v", [Trial(fixed_rate=fixed(52, 58), saturation=sat(2000, cpu_ms=0.4))]),
        Row(
            "trueport-workers2",
            "TruePort, 2 workers",
            "v",
            [Trial(fixed_rate=fixed(52, 58), saturation=sat(3000, cpu_ms=0.5, background_ms=0.1))],
        ),
    ]
    summaries = summarize(rows, 200)
    assert (summaries[2].serving_cpu_ms, summaries[2].background_cpu_ms) == (0.5, 0.1)
    assert summaries[2].installation_cpu_ms == 0.6
    markdown = render_markdown(meta(), summaries)
    assert "| TruePort | 2,000 | 0.400 | none | 0.400 |" in markdown  # no recorder process
    assert "| TruePort, 2 workers | 3,000 | 0.500 | 0.100 | 0.600 |" in markdown
    assert "| TruePort 2 workers / 1 worker | 1.50x | 1.00x | 1.00x | 1.25x | 1.50x |" in markdown
