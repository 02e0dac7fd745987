import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from accrue import Server  # noqa: E402


@pytest.fixture(scope="session")
def server():
    """One SQLite-backed server for the session's page tests; the presets are loaded at start."""
    running = Server().start()
    yield running
    running.stop()
