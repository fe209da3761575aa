"""A few hundred idle sockets from one address cannot hold `licmon serve`: the address gets
its share of connections only, and a connection that never finishes its request head is
closed after `header_timeout_seconds`."""

import os
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from tests import serverproc

IDLE = 300


def open_idle(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
        sockets.append(sock)
    return sockets


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.5)
    try:
        return sock.recv(100) == b""
    except (TimeoutError, BlockingIOError):
        return False
    except OSError:
        return True


def ready(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
        return response.status == 200


@pytest.mark.slow
def test_idle_sockets_are_limited_per_address_and_time_out(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    serverproc.seed(data_dir)
    port = serverproc.free_port()
    os.environ["LICMON_CONNECTIONS_PER_ADDRESS"] = "16"
    os.environ["LICMON_HEADER_TIMEOUT_SECONDS"] = "2"
    try:
        proc = serverproc.start(data_dir, port)
    finally:
        del os.environ["LICMON_CONNECTIONS_PER_ADDRESS"]
        del os.environ["LICMON_HEADER_TIMEOUT_SECONDS"]
    sockets: list[socket.socket] = []
    try:
        sockets = open_idle(port, IDLE)
        time.sleep(0.5)
        refused = sum(closed_by_server(sock) for sock in sockets)
        assert refused >= IDLE - 16  # all but the address's 16 were closed at once
        time.sleep(3)
        assert all(closed_by_server(sock) for sock in sockets)  # the slow heads timed out
        assert ready(port)  # and the server still answers
    finally:
        for sock in sockets:
            sock.close()
        proc.terminate()
        proc.wait(timeout=20)
