"""Bad input is normal: malformed HTTP and random datagrams must leave the node serving the sessions
it had, with every drop counted in /metrics (issue "The node", Bad input)."""

import asyncio
import random
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("aiortc", reason="aiortc is installed by scripts/setup (Tests/interop/requirements.txt)")

from node_harness import Received, patch_aioice_loopback, publish, running_node, subscribe


def http_status(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def test_http_errors_have_status_and_reason(tmp_path):
    with running_node(tmp_path) as node:
        sdp = {"Content-Type": "application/sdp"}
        cases = [
            ("POST", "/whip/room", b"this is not sdp", sdp, 400),
            ("POST", "/whip/room", b"v=0\r\n", {"Content-Type": "text/plain"}, 415),
            ("POST", "/whip/room", b"x" * 70_000, sdp, 413),
            ("DELETE", "/whip/room/doesnotexist", None, {}, 404),
            ("DELETE", "/whep/room/doesnotexist", None, {}, 404),
            ("POST", "/whip/bad%20room", b"v=0\r\n", sdp, 400),
            ("POST", "/whep/room?variant=sepia", b"v=0\r\n", sdp, 400),
        ]
        for method, path, body, headers, expected in cases:
            status, text = http_status(node.url(path), method, body, headers)
            assert status == expected, f"{method} {path}: {status} {text!r}"
            assert status < 300 or text.strip(), f"{method} {path}: {status} without a reason"


def test_floods_leave_existing_sessions_serving(tmp_path):
    patch_aioice_loopback()

    async def main():
        with running_node(tmp_path) as node:
            stop = asyncio.Event()
            pub, video, _ = await publish(node, "flood")
            received = Received()
            sub = await subscribe(node, "flood", received, stop)
            deadline = time.monotonic() + 10
            while received.first_frame_at is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert received.first_frame_at is not None

            # The floods come from another process, as an attacker's would: in this process they
            # would starve aiortc's own event loop (the GIL) and test aiortc rather than the node.
            flood = await asyncio.create_subprocess_exec(
                sys.executable, "-c",
                "import sys; from test_node_robustness import malformed_http_to, random_datagrams; "
                f"malformed_http_to({node.http!r}); random_datagrams({node.udp_port})",
                cwd=str(Path(__file__).parent))
            assert await flood.wait() == 0

            await asyncio.sleep(1.0)  # a keyframe after anything the flood displaced
            before = len(received.frames)
            await asyncio.sleep(3.0)
            after = len(received.frames)
            metrics = node.metrics()
            stop.set()
            await sub.close()
            await pub.close()
            assert node.process.poll() is None, "the node died:\n" + node.log()
            return before, after, metrics

    before, after, metrics = asyncio.run(main())
    print(f"frames decoded in the 3 s after the floods: {after - before}")
    assert after - before >= 60, "the session stopped delivering after the floods"
    drops = sum(v for k, v in metrics.items() if k.startswith("loupe_dropped_packets_total"))
    assert drops >= 10_000, f"only {drops} drops counted for 20000 garbage datagrams"


def malformed_http_to(http: str) -> None:
    """A thousand malformed requests over raw sockets: bad request lines, headers, lengths, methods."""
    rng = random.Random(3)
    host, port = http.replace("http://", "").split(":")
    samples = [
        b"GARBAGE\r\n\r\n",
        b"POST /whip/x HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\nv=0",
        b"POST /whip/x HTTP/1.1\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n",
        b"POST /whip/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
        b"PATCH /whip/x/y HTTP/1.1\r\nContent-Type: application/trickle-ice-sdpfrag\r\nContent-Length: 3\r\n\r\nabc",
        b"\x00\xff\x16\x03\x01" * 40,
    ]
    for i in range(1000):
        payload = samples[i % len(samples)] if i % 3 else rng.randbytes(rng.randint(1, 300))
        try:
            with socket.create_connection((host, int(port)), timeout=2) as s:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
                s.settimeout(2)
                try:
                    s.recv(4096)
                except OSError:
                    pass
        except OSError:
            pass


def random_datagrams(udp_port: int, count: int = 20_000) -> None:
    """Random datagrams, their first byte spread over every RFC 7983 range (STUN, DTLS, RTP/RTCP…)."""
    rng = random.Random(5)
    firsts = [0, 1, 3, 17, 22, 23, 63, 70, 128, 129, 144, 191, 200, 255]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(count):
            body = bytes([rng.choice(firsts)]) + rng.randbytes(rng.randint(0, 1200))
            if i % 4 == 0:  # a STUN header with the magic cookie, so the STUN parser is exercised
                body = bytes([0, 1, 0, 8, 0x21, 0x12, 0xA4, 0x42]) + body[:20]
            s.sendto(body, ("127.0.0.1", udp_port))
            if i % 500 == 0:
                time.sleep(0.01)
