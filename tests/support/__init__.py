"""Real, throwaway servers for tests: PostgreSQL and Redis from the Debian packages.

``tests/conftest.py`` wraps them in fixtures; import from here only to start a private server
(for example a Redis you mean to kill) or for type annotations.
"""

from __future__ import annotations

import os
import socket
from typing import NoReturn

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing_binary(what: str, install_hint: str) -> NoReturn:
    """Fail under CI (a missing server there is a broken setup), skip elsewhere."""
    message = f"{what} not found; install it with: {install_hint}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
