"""Downloads against a real HTTP server on 127.0.0.1, started by each test (issue 12, item 12): every download
has an overall deadline as well as a per-read timeout, so a mirror that trickles bytes cannot hold the loader,
and the next source is tried. Nothing here leaves the machine: connections to any other address fail the test.
"""

# ruff: noqa: F811 (the fixture fake is imported from _fake_data)
from __future__ import annotations

import dataclasses
import gzip
import http.server
import socket
import threading
import time

import pytest
from _fake_data import NAMES, assert_loaded, fake  # noqa: F401 (fixtures)

from numcnn.datasets import _fetch, mnist

TRICKLE_BYTES = 200  # the slow route sends at most this many bytes, one every TRICKLE_GAP seconds
TRICKLE_GAP = 0.1


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, bytes] = {}
        self.trickled = 0  # bytes the slow route managed to send before the client went away

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        server: Server = self.server
        path = self.path.lstrip("/")
        if path.startswith("slow/"):
            self.send_response(200)
            self.send_header("Content-Length", str(TRICKLE_BYTES))
            self.end_headers()
            try:
                for _ in range(TRICKLE_BYTES):  # bounded in count, so bounded in time (20 s at most)
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    server.trickled += 1
                    time.sleep(TRICKLE_GAP)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: what the deadline is for
            return
        if path == "silent":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.flush()
            time.sleep(5)  # says nothing for 5 s, then leaves
            return
        body = server.routes.get(path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server(monkeypatch, tmp_path):
    """A threaded HTTP server on 127.0.0.1 for this test; the cache in tmp_path; no npm; no other address."""
    monkeypatch.setenv("NUMCNN_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(_fetch.shutil, "which", lambda *args, **kwargs: None)
    real_connect = socket.socket.connect

    def loopback_only(sock, address):
        assert address[0] == "127.0.0.1", f"a test tried to connect to {address}"
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(10)


def test_a_trickling_server_is_given_up_at_the_deadline(server):
    with pytest.raises(TimeoutError, match=r"download not complete after 1 s \(\d+ bytes received\): too slow"):
        _fetch.fetch_url(server.base + "slow/file", max_bytes=10_000, timeout=2.0, deadline=1.0)
    # Each byte came 0.1 s after the last, well within the 2 s read timeout: only the overall deadline stopped
    # the download. Counted in bytes, not seconds: the whole trickle (what happened before) is 200 bytes.
    time.sleep(3 * TRICKLE_GAP)  # let the server notice the client has gone
    assert server.trickled < TRICKLE_BYTES // 2


def test_a_silent_server_still_hits_the_per_read_timeout(server):
    with pytest.raises(TimeoutError):
        _fetch.fetch_url(server.base + "silent", max_bytes=100, timeout=0.5, deadline=60.0)


def test_a_body_longer_than_expected_is_refused_as_it_arrives(server):
    server.routes["big"] = b"y" * 5000
    with pytest.raises(OSError, match="more than 1000 bytes received"):
        _fetch.fetch_url(server.base + "big", max_bytes=1000, deadline=30.0)
    server.routes["ok"] = b"z" * 1000
    assert _fetch.fetch_url(server.base + "ok", max_bytes=1000) == b"z" * 1000


def test_every_download_gets_a_deadline_that_grows_with_its_size():
    assert _fetch.download_deadline(0) == _fetch.DEADLINE_BASE
    assert _fetch.download_deadline(10_000_000) == _fetch.DEADLINE_BASE + 10_000_000 / _fetch.MIN_RATE


def test_the_loader_moves_on_from_a_trickling_mirror_to_the_next_source(server, fake, monkeypatch):
    # Keras' .npz URL trickles; the next source, a mirror of the gzipped IDX files, answers at once.
    monkeypatch.setattr(_fetch, "DEADLINE_BASE", 1.0)
    monkeypatch.setattr(_fetch, "MIN_RATE", 1e12)
    slow, mirror = server.base + "slow/mnist.npz", server.base + "mirror/"
    monkeypatch.setattr(mnist, "SPEC", dataclasses.replace(fake.spec, npz_urls=(slow,), gz_mirrors=(mirror,)))
    for name in NAMES:
        server.routes[f"mirror/{name}.gz"] = gzip.compress(fake.raw[name], mtime=0)
    assert_loaded(mnist.load_data(), fake)
    time.sleep(3 * TRICKLE_GAP)
    assert server.trickled < TRICKLE_BYTES // 2
