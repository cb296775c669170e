"""Runs a real `loupe serve` and real aiortc peers against it.

The publisher sends a moving test pattern whose frames carry their own index as a 16-bit barcode
(large black/white blocks that survive VP8 compression), so a subscriber can tell exactly which
sent frame each decoded frame is, count what arrived, and compute Y-PSNR against the original.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import os
import random
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT, FPS = 640, 360, 30
BITS, BLOCK = 16, 32  # barcode: 16 blocks of 32×32 luma along the top edge


def loupe_binary() -> str:
    path = os.environ.get("LOUPE_BIN") or str(ROOT / ".build" / "debug" / "loupe")
    if not os.path.exists(path):
        raise RuntimeError(f"loupe binary not found at {path}: run `swift build` first")
    return path


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    http: str
    udp_port: int
    process: subprocess.Popen
    log_path: Path

    def url(self, path: str) -> str:
        return self.http + path

    def metrics(self) -> dict[str, float]:
        """Parses /metrics into {'name{labels}': value}."""
        text = urllib.request.urlopen(self.url("/metrics"), timeout=5).read().decode()
        out: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def running_node(tmp_path: Path, *extra: str):
    """Starts `loupe serve` on free loopback ports and stops it (SIGTERM) afterwards."""
    http_port, udp_port = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
    log_path = tmp_path / "loupe.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [loupe_binary(), "serve", "--http", f"127.0.0.1:{http_port}", "--udp", f"127.0.0.1:{udp_port}",
         "--log-level", "debug", *extra],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    node = Node(f"http://127.0.0.1:{http_port}", udp_port, proc, log_path)
    deadline = time.time() + 20
    while True:
        try:
            urllib.request.urlopen(node.url("/healthz"), timeout=1)
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("loupe serve did not start:\n" + node.log())
            time.sleep(0.1)
    try:
        yield node
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def patch_aioice_loopback() -> None:
    """aioice skips loopback host addresses; on 127.0.0.1 tests that leaves no candidates."""
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


# ---------------------------------------------------------------- the test pattern

def pattern_frame(index: int) -> np.ndarray:
    """An I420 frame (as a (H*3/2, W) uint8 array): moving gradient, bars and a disc, plus a barcode."""
    t = index / FPS
    y = np.empty((HEIGHT, WIDTH), np.float32)
    xs = np.arange(WIDTH, dtype=np.float32)[None, :]
    ys = np.arange(HEIGHT, dtype=np.float32)[:, None]
    y[:] = 60 + 50 * np.sin((xs + 40 * t) / 37.0) + 40 * np.cos((ys - 25 * t) / 23.0)
    bar = (np.floor((xs + 90 * t) / 48) % 2) * 50
    y += bar
    cx, cy = WIDTH / 2 + 180 * math.cos(t), HEIGHT / 2 + 90 * math.sin(1.3 * t)
    y[(xs - cx) ** 2 + (ys - cy) ** 2 < 45 ** 2] = 225
    y = np.clip(y, 16, 235).astype(np.uint8)
    for b in range(BITS):
        y[0:BLOCK, b * BLOCK:(b + 1) * BLOCK] = 235 if (index >> b) & 1 else 16
    u = np.full((HEIGHT // 2, WIDTH // 2), 128, np.uint8)
    v = np.full((HEIGHT // 2, WIDTH // 2), 128, np.uint8)
    u[:, :] = (128 + 40 * np.sin(xs[:, ::2] / 50.0 + t)).astype(np.uint8)
    return np.concatenate([y, u.reshape(HEIGHT // 4, WIDTH), v.reshape(HEIGHT // 4, WIDTH)])


def read_barcode(luma: np.ndarray) -> int:
    value = 0
    for b in range(BITS):
        block = luma[8:BLOCK - 8, b * BLOCK + 8:(b + 1) * BLOCK - 8]
        if block.mean() > 125:
            value |= 1 << b
    return value


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def make_pattern_track(make_frame=None):
    """A video track sending make_frame(0), make_frame(1), … (I420 arrays as pattern_frame
    returns; default pattern_frame) at 30 fps."""
    from aiortc import VideoStreamTrack
    from av import VideoFrame

    make_frame = make_frame or pattern_frame

    class PatternTrack(VideoStreamTrack):
        """Sends make_frame(0), make_frame(1), … at 30 fps, remembering when each was sent."""

        def __init__(self):
            super().__init__()
            self.index = 0
            self.sent_at: dict[int, float] = {}

        async def recv(self):
            pts, time_base = await self.next_timestamp()
            frame = VideoFrame.from_ndarray(make_frame(self.index), format="yuv420p")
            frame.pts, frame.time_base = pts, time_base
            self.sent_at[self.index] = time.monotonic()
            self.index += 1
            return frame

        async def next_timestamp(self):
            # aiortc's default is 30 fps with a 90 kHz clock; keep it but expose the index.
            return await super().next_timestamp()

    return PatternTrack()


@dataclass
class Received:
    frames: dict[int, float] = field(default_factory=dict)  # index -> arrival (monotonic)
    psnrs: list[float] = field(default_factory=list)
    sizes: set[tuple[int, int]] = field(default_factory=set)
    first_frame_at: float | None = None
    audio_frames: int = 0


async def track_frames(track, stop: asyncio.Event):
    """Yields the track's decoded frames until `stop` is set or the track ends."""
    from aiortc.mediastreams import MediaStreamError
    while not stop.is_set():
        try:
            yield await asyncio.wait_for(track.recv(), timeout=0.5)
        except asyncio.TimeoutError:
            continue
        except MediaStreamError:
            return


async def consume_video(track, received: Received, stop: asyncio.Event) -> None:
    async for frame in track_frames(track, stop):
        now = time.monotonic()
        if received.first_frame_at is None:
            received.first_frame_at = now
        img = frame.to_ndarray(format="yuv420p")
        h, w = frame.height, frame.width
        received.sizes.add((w, h))
        luma = img[:h, :w]
        restored = (w, h) == (2 * WIDTH, 2 * HEIGHT)
        if not restored and (w, h) != (WIDTH, HEIGHT):
            continue
        index = read_barcode(luma[::2, ::2] if restored else luma)
        if index in received.frames:
            continue
        received.frames[index] = now
        if len(received.psnrs) < 400 and index % 3 == 0:
            if restored:
                # The restored rendition (×2): compare its 2×2 box-downscale with the pattern.
                luma = luma.reshape(HEIGHT, 2, WIDTH, 2).mean(axis=(1, 3)).round().astype(np.uint8)
            received.psnrs.append(psnr(luma, pattern_frame(index)[:HEIGHT]))


async def consume_audio(track, received: Received, stop: asyncio.Event) -> None:
    async for _ in track_frames(track, stop):
        received.audio_frames += 1


async def post_sdp(url: str, sdp: str, token: str | None = None) -> tuple[int, str, dict]:
    def go():
        req = urllib.request.Request(url, data=sdp.encode(), method="POST",
                                     headers={"Content-Type": "application/sdp",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)
    return await asyncio.get_running_loop().run_in_executor(None, go)


async def publish(node: Node, room: str, codec: str = "VP8", video=None):
    """An aiortc WHIP publisher: `video` (default: the pattern track) + a tone. Returns (pc, video
    track, location)."""
    from aiortc import RTCPeerConnection, RTCSessionDescription, RTCRtpSender
    from aiortc.mediastreams import AudioStreamTrack

    pc = RTCPeerConnection()
    video = video if video is not None else make_pattern_track()
    vt = pc.addTransceiver(video, direction="sendonly")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    caps = RTCRtpSender.getCapabilities("video")
    vt.setCodecPreferences([c for c in caps.codecs if c.mimeType.lower() in (f"video/{codec.lower()}", "video/rtx")])
    await pc.setLocalDescription(await pc.createOffer())
    status, answer, headers = await post_sdp(node.url(f"/whip/{room}"), pc.localDescription.sdp)
    assert status == 201, f"WHIP POST answered {status}: {answer}"
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc, video, headers.get("Location")


async def subscribe(node: Node, room: str, received: Received, stop: asyncio.Event, variant: str | None = None,
                    consume=None):
    """An aiortc WHEP subscriber that decodes what it receives into `received` (video through
    `consume(track, received, stop)` when given, else consume_video)."""
    from aiortc import RTCPeerConnection, RTCSessionDescription

    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    tasks = []

    @pc.on("track")
    def on_track(track):
        coro = (consume or consume_video)(track, received, stop) if track.kind == "video" else consume_audio(track, received, stop)
        tasks.append(asyncio.ensure_future(coro))

    await pc.setLocalDescription(await pc.createOffer())
    url = node.url(f"/whep/{room}") + (f"?variant={variant}" if variant else "")
    status, answer, headers = await post_sdp(url, pc.localDescription.sdp)
    assert status == 201, f"WHEP POST answered {status}: {answer}"
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    pc._loupe_tasks = tasks
    return pc


async def aiortc_offerer(mode: str):
    """An aiortc RTCPeerConnection with audio + video transceivers, sendonly (a tone and aiortc's test
    video) or recvonly, whose offer is set as its local description. The caller closes it."""
    from aiortc import RTCPeerConnection
    from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
    patch_aioice_loopback()
    pc = RTCPeerConnection()
    if mode == "sendonly":
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    else:
        pc.addTransceiver("audio", direction="recvonly")
        pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return pc


def drop_incoming_srtp(probability: float, seed: int = 7) -> None:
    """An impairment hook: aioice drops this fraction of incoming RTP/RTCP datagrams (RFC 7983 first
    byte 128–191) before aiortc sees them. STUN and DTLS pass, so the handshake is unaffected."""
    import aioice.ice
    rng = random.Random(seed)
    original = aioice.ice.Connection.recv

    async def recv(self):
        while True:
            data = await original(self)
            if data and 128 <= data[0] <= 191 and rng.random() < probability:
                continue
            return data

    aioice.ice.Connection.recv = recv
