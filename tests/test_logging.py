"""One log format per process, on stderr: structlog's events and the standard library's records alike."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from trueport.logging import configure_logging, resolved_format


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """Each test configures logging for the whole process: put back what was there."""
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**config)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_auto_is_json_when_stderr_is_not_a_terminal() -> None:
    assert resolved_format("auto") == "json"  # pytest's captured stderr is no terminal
    assert resolved_format("console") == "console"


def _library() -> logging.Logger:
    """A standard-library logger no earlier test configured (uvicorn's own config stops propagation)."""
    return logging.getLogger("tests.test_logging.library")


def test_json_lines_on_stderr_for_both_kinds_of_logger(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    structlog.get_logger("trueport.test").info("gateway_started", keys=3)
    _library().warning("a library says %s", "this")
    out, err = capsys.readouterr()
    assert out == ""
    lines = [json.loads(line) for line in err.splitlines()]
    ours = next(line for line in lines if line["event"] == "gateway_started")
    theirs = next(line for line in lines if line["event"] == "a library says this")
    assert ours["keys"] == 3 and ours["level"] == "info"
    assert theirs["level"] == "warning" and theirs["logger"] == "tests.test_logging.library"
    assert "timestamp" in theirs


def test_console_lines_are_readable(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "console")
    structlog.get_logger("trueport.test").warning("redis_unreachable", fallback="local")
    _library().error("boom")
    out, err = capsys.readouterr()
    assert out == ""
    ours = next(line for line in err.splitlines() if "redis_unreachable" in line)
    theirs = next(line for line in err.splitlines() if "boom" in line)
    assert "[warning  ] redis_unreachable" in ours and "fallback=local" in ours
    assert "[error    ] boom" in theirs and not theirs.startswith("{")


def test_the_level_filters(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", "json")
    structlog.get_logger("trueport.test").info("quiet")
    structlog.get_logger("trueport.test").warning("loud")
    events = [json.loads(line)["event"] for line in capsys.readouterr().err.splitlines()]
    assert "loud" in events and "quiet" not in events


def test_uvicorns_own_logging_config_does_not_keep_its_records_from_ours(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging.config

    from uvicorn.config import LOGGING_CONFIG

    logging.config.dictConfig(LOGGING_CONFIG)  # what uvicorn.Config does with its default log_config
    configure_logging("info", "json")
    logging.getLogger("uvicorn.error").warning("a library says %s", "this")
    _out, err = capsys.readouterr()
    assert [json.loads(line)["event"] for line in err.splitlines()] == ["a library says this"]
