"""The restored rendition through a real `loupe serve` (issue "The video processing path", Must show):
aiortc publishes 640×360 VP8; an aiortc subscriber to `POST /whep/{room}?variant=restored` receives
1280×720 frames (bicubic ×2, re-encoded by the node) at ≥ 90 % of the input frame rate over 10 s,
while an original-variant subscriber in the same room still gets the publisher's own 640×360 stream
as before. The admin API switches a room's rendition off (restored subscribers then get the original)
and back on."""

import asyncio
import json
import statistics
import time
import urllib.request

import pytest

pytest.importorskip("aiortc", reason="aiortc is installed by scripts/setup (Tests/interop/requirements.txt)")

from node_harness import HEIGHT, WIDTH, Received, patch_aioice_loopback, publish, running_node, subscribe

WINDOW_S = 10.0


@pytest.fixture(autouse=True)
def loopback_ice():
    patch_aioice_loopback()


def get_json(node, path):
    return json.loads(urllib.request.urlopen(node.url(path), timeout=5).read())


def put_json(node, path, body):
    req = urllib.request.Request(node.url(path), data=json.dumps(body).encode(), method="PUT",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def sent_in(sent_at, start, end):
    return [i for i, t in sent_at.items() if start <= t <= end - 0.5]


async def wait_first_frames(recs, timeout=20):
    deadline = time.monotonic() + timeout
    while any(r.first_frame_at is None for r in recs) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert all(r.first_frame_at is not None for r in recs), "a subscriber never decoded a frame"


def bicubic_config(tmp_path):
    """The issue's stand-in processor: bicubic ×2 (the default is the restoration model)."""
    path = tmp_path / "bicubic.yaml"
    path.write_text("processing: {method: bicubic}\n")
    return str(path)


def test_restored_subscriber_gets_720p_while_original_is_unaffected(tmp_path):
    async def scenario():
        with running_node(tmp_path, "--config", bicubic_config(tmp_path)) as node:
            stop = asyncio.Event()
            pub, video, _ = await publish(node, "rr")
            original, restored = Received(), Received()
            subs = [await subscribe(node, "rr", original, stop),
                    await subscribe(node, "rr", restored, stop, variant="restored")]
            await wait_first_frames([original, restored])
            await asyncio.sleep(1.0)  # past the first keyframe's burst
            start = time.monotonic()
            await asyncio.sleep(WINDOW_S)
            end = time.monotonic()
            rooms = get_json(node, "/api/rooms")
            metrics = node.metrics()
            stop.set()
            sent = dict(video.sent_at)
            for pc in subs + [pub]:
                await pc.close()
            return original, restored, sent, start, end, rooms, metrics, node.log()

    original, restored, sent, start, end, rooms, metrics, log = asyncio.run(scenario())
    window = sent_in(sent, start, end)
    assert len(window) >= 0.3 * 30 * (WINDOW_S - 0.5), f"the publisher sent only {len(window)} frames"

    print(f"\nsent {len(window)} frames in {WINDOW_S:.0f} s; restored got {sum(i in restored.frames for i in window)}"
          f" (median PSNR {statistics.median(restored.psnrs):.1f} dB), original got"
          f" {sum(i in original.frames for i in window)} ({statistics.median(original.psnrs):.1f} dB);"
          f" rendition {json.dumps(rooms['rooms'][0]['renditions'])}")
    # The restored subscriber decodes 1280×720 pictures of the publisher's frames.
    assert restored.sizes == {(2 * WIDTH, 2 * HEIGHT)}, f"restored sizes {restored.sizes}"
    got = sum(1 for i in window if i in restored.frames)
    assert got >= 0.9 * len(window), f"restored: {got} of {len(window)} frames in {WINDOW_S} s"
    # Its pictures are the publisher's (box-downscaled ×0.5 back to 640×360 and compared).
    assert statistics.median(restored.psnrs) > 28, f"restored PSNR {statistics.median(restored.psnrs):.1f} dB"

    # The original subscriber still gets the publisher's stream, as before.
    assert original.sizes == {(WIDTH, HEIGHT)}, f"original sizes {original.sizes}"
    got = sum(1 for i in window if i in original.frames)
    assert got >= 0.9 * len(window), f"original: {got} of {len(window)} frames in {WINDOW_S} s"
    assert statistics.median(original.psnrs) > 30

    # The node reports the rendition: /api/rooms and /metrics.
    room = next(r for r in rooms["rooms"] if r["name"] == "rr")
    assert room["processing"] is True
    [rendition] = room["renditions"]
    assert rendition["processor"] == "bicubic" and rendition["codec"] == "vp8"
    assert rendition["framesOut"] >= 0.9 * rendition["framesIn"] > 0
    assert rendition["latencyP50Ms"] is not None and rendition["latencyP50Ms"] < 100
    assert metrics['loupe_processing_frames_total{stage="sent"}'] >= len(window)
    assert "processing started" in log


def test_admin_api_switches_a_room_back_to_the_original(tmp_path):
    async def scenario():
        with running_node(tmp_path, "--config", bicubic_config(tmp_path)) as node:
            stop = asyncio.Event()
            pub, video, _ = await publish(node, "sw")
            restored = Received()
            sub = await subscribe(node, "sw", restored, stop, variant="restored")
            await wait_first_frames([restored])
            await asyncio.sleep(1.0)
            before = set(restored.sizes)
            off = put_json(node, "/api/rooms/sw/processing", {"enabled": False})
            # The switch waits for the publisher's next keyframe (a PLI answered by aiortc):
            # usually well under a second, but a loaded CI machine once took over 3 s.
            # Wait for the original's size (at most 10 s), then count what follows.
            deadline = time.monotonic() + 10.0
            while (WIDTH, HEIGHT) not in restored.sizes and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            switched_at = time.monotonic()
            await asyncio.sleep(2.0)
            recent_off = {i for i, t in restored.frames.items() if t > switched_at}
            sizes_off = set(restored.sizes)
            rooms_off = get_json(node, "/api/rooms")
            on = put_json(node, "/api/rooms/sw/processing", {"enabled": None})
            await asyncio.sleep(3.0)
            rooms_on = get_json(node, "/api/rooms")
            bad = urllib.request.Request(node.url("/api/rooms/sw/processing"), data=b"nope", method="PUT")
            try:
                urllib.request.urlopen(bad, timeout=5)
                bad_status = 200
            except urllib.error.HTTPError as e:
                bad_status = e.code
            stop.set()
            await sub.close()
            await pub.close()
            return before, off, recent_off, sizes_off, rooms_off, on, rooms_on, bad_status

    before, off, recent_off, sizes_off, rooms_off, on, rooms_on, bad_status = asyncio.run(scenario())
    assert before == {(2 * WIDTH, 2 * HEIGHT)}
    assert off == {"enabled": False}
    # Switched off: the same subscriber keeps receiving, now the publisher's 640×360 original.
    assert (WIDTH, HEIGHT) in sizes_off and len(recent_off) > 30
    room_off = next(r for r in rooms_off["rooms"] if r["name"] == "sw")
    assert room_off["processing"] is False and room_off["renditions"] == []
    # Back to the configuration (on by default): the rendition runs again.
    assert on == {"enabled": True}
    room_on = next(r for r in rooms_on["rooms"] if r["name"] == "sw")
    assert len(room_on["renditions"]) == 1
    assert bad_status == 400
