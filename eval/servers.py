"""Running docqa's servers and a headless Chromium on loopback, for the benchmark and the tests."""

from __future__ import annotations

import socket
import time
from typing import Any

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float) -> None:
    """Return once something listens on 127.0.0.1:`port`; TimeoutError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listens on port {port} after {seconds} s")


def chromium(chromedriver: str, *flags: str, binary: str | None = None) -> Any:
    """A selenium driver of headless Chromium (Debian's chromium + chromedriver), quiet and offline."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    if binary:
        options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, *flags):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(chromedriver), options=options)
