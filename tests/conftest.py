"""Test-wide setup: no network beyond loopback, no telemetry, no model hub.

The network guard is the pytest-socket plugin: `--allow-hosts=127.0.0.1,::1,localhost` (pyproject addopts) makes any
connection elsewhere raise `SocketConnectBlockedError`. `pytest_configure` below sets that same default when the
option is not given, so the guard holds even when pytest runs without the project's addopts.
"""

import os

import pytest

LOOPBACK = "127.0.0.1,::1,localhost"

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"


@pytest.hookimpl(tryfirst=True)  # before pytest-socket reads its options
def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("socket"):
        raise pytest.UsageError("the tests' network guard needs the pytest-socket plugin: pip install pytest-socket")
    if not config.getoption("--allow-hosts") and not config.getoption("--force-enable-socket"):
        config.option.allow_hosts = LOOPBACK
