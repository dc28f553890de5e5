"""The conftest guard: connections beyond loopback fail. The real `connect` is replaced by a recorder, so these
tests never send a packet, even if the guard were broken."""

import socket

import pytest
import pytest_socket
from pytest_socket import SocketConnectBlockedError


@pytest.fixture
def attempts(monkeypatch):
    """Addresses that passed the guard (and would have been really connected to)."""
    passed: list[tuple] = []
    monkeypatch.setattr(pytest_socket, "_true_connect", lambda sock, address: passed.append(address))
    return passed


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_non_loopback_connection_is_blocked(attempts):
    with pytest.raises(SocketConnectBlockedError), socket.socket() as sock:
        sock.connect(("10.255.255.1", 80))
    assert attempts == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_allowed(attempts, host):
    with socket.socket() as sock:
        sock.connect((host, 80))
    assert attempts == [(host, 80)]
