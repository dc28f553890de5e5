"""Test-wide setup: no network beyond loopback (pytest-socket, see pyproject addopts), no telemetry, no hub."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
