"""End to end through a real `loupe serve`: aiortc publishes VP8 + Opus over WHIP, aiortc subscribers
receive over WHEP. Issue "The node", Must show: ≥ 90 % of frames decoded over 10 s, decoded frames
match the sent ones (mean Y-PSNR > 30 dB), NACK/RTX under 5 % loss, late subscriber's first frame
within 1.5 s."""

import asyncio
import json
import statistics
import time
import urllib.request

import pytest

pytest.importorskip("aiortc", reason="aiortc is installed by scripts/setup (Tests/interop/requirements.txt)")

from node_harness import (FPS, Received, drop_incoming_srtp, patch_aioice_loopback, publish,
                          running_node, subscribe)

WINDOW_S = 10.0


@pytest.fixture(autouse=True)
def loopback_ice():
    patch_aioice_loopback()


def delivered_fraction(received: Received, sent_at: dict[int, float], start: float, end: float) -> float:
    sent = [i for i, t in sent_at.items() if start <= t <= end - 0.5]
    got = sum(1 for i in sent if i in received.frames)
    return got / max(1, len(sent))


async def run_room(node, subscribers: int, window: float = WINDOW_S):
    stop = asyncio.Event()
    pub, video, _ = await publish(node, "e2e")
    recs = [Received() for _ in range(subscribers)]
    subs = [await subscribe(node, "e2e", r, stop) for r in recs]
    # Wait for every subscriber's first frame (keyframe after the join PLI), then measure a window.
    deadline = time.monotonic() + 15
    while any(r.first_frame_at is None for r in recs) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert all(r.first_frame_at is not None for r in recs), "a subscriber never decoded a frame"
    start = time.monotonic()
    await asyncio.sleep(window)
    end = time.monotonic()
    rooms = json.loads(urllib.request.urlopen(node.url("/api/rooms"), timeout=5).read())
    stop.set()
    sent = dict(video.sent_at)
    for pc in subs + [pub]:
        await pc.close()
    return recs, sent, start, end, rooms


def test_vp8_opus_to_two_subscribers(tmp_path):
    async def main():
        with running_node(tmp_path) as node:
            recs, sent, start, end, rooms = await run_room(node, subscribers=2)
            metrics = node.metrics()
            return recs, sent, start, end, metrics, rooms
    recs, sent, start, end, metrics, rooms = asyncio.run(main())
    for n, r in enumerate(recs):
        frac = delivered_fraction(r, sent, start, end)
        mean_psnr = statistics.mean(r.psnrs)
        print(f"subscriber {n}: {frac:.3f} of frames, mean Y-PSNR {mean_psnr:.1f} dB, audio frames {r.audio_frames}")
        assert frac >= 0.90, f"subscriber {n} decoded only {frac:.1%} of the frames sent"
        assert mean_psnr > 30.0, f"subscriber {n}: decoded frames do not match the sent ones ({mean_psnr:.1f} dB)"
        assert r.audio_frames > 0.8 * 50 * WINDOW_S, f"subscriber {n}: only {r.audio_frames} Opus frames"
    assert metrics['loupe_rtp_packets_total{direction="in"}'] > 0
    assert metrics['loupe_rtp_packets_total{direction="out"}'] > metrics['loupe_rtp_packets_total{direction="in"}']
    # aiortc sends abs-send-time and reads REMB (no transport-cc): the node's receive-side
    # estimate of its uplink shows in /api/rooms and /metrics.
    publisher = rooms["rooms"][0]["publishers"][0]
    print(f"uplink estimate {publisher['uplinkEstimate']} bps")
    assert publisher["uplinkEstimate"] is not None and publisher["uplinkEstimate"] > 100_000
    key = f'loupe_bandwidth_estimate_bps{{room="e2e",session="{publisher["id"]}",direction="uplink"}}'
    assert metrics.get(key, 0) > 100_000


def test_five_percent_loss_is_repaired_by_nack_and_rtx(tmp_path):
    drop_incoming_srtp(0.05)

    async def main():
        with running_node(tmp_path) as node:
            recs, sent, start, end, _ = await run_room(node, subscribers=1)
            return recs, sent, start, end, node.metrics()
    recs, sent, start, end, metrics = asyncio.run(main())
    frac = delivered_fraction(recs[0], sent, start, end)
    rtx = metrics['loupe_retransmissions_total{direction="out"}']
    nacks = metrics['loupe_nacks_total{direction="in"}']
    print(f"5% loss: {frac:.3f} of frames decoded, {nacks:.0f} NACKs in, {rtx:.0f} retransmissions out")
    assert nacks > 0 and rtx > 0
    assert frac >= 0.90, f"only {frac:.1%} of frames decoded under 5% loss"


def test_late_subscriber_decodes_within_one_and_a_half_seconds(tmp_path):
    async def main():
        with running_node(tmp_path) as node:
            stop = asyncio.Event()
            pub, video, _ = await publish(node, "late")
            await asyncio.sleep(4.0)  # the publisher's keyframe is long gone
            r = Received()
            posted = time.monotonic()
            sub = await subscribe(node, "late", r, stop)
            deadline = posted + 5
            while r.first_frame_at is None and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            stop.set()
            await sub.close()
            await pub.close()
            return r, posted
    r, posted = asyncio.run(main())
    assert r.first_frame_at is not None, "the late subscriber never decoded a frame"
    delay = r.first_frame_at - posted
    print(f"late subscriber: first frame {delay * 1000:.0f} ms after its POST")
    assert delay <= 1.5
