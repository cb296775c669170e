"""The restored rendition runs the restoration model, end to end (issue "Restoration network", Must
show): a real `loupe serve` with `processing.method: model` (the shipped `restore-x2`), an aiortc
publisher that sends the 2×2 box-downscale (640×360) of full-size 1280×720 slides (text, line art,
a subtitle bar), one subscriber to the original and one to `?variant=restored`.

For every frame both subscribers decoded, the restored subscriber's 1280×720 picture is compared
with the publisher's full-size original, and so is the node's exact bicubic ×2 of the original
subscriber's 640×360 picture (the same VP8 frame the node decoded): what a bicubic rendition would
have shown before its re-encode. The model's rendition must be the closer one, although only it
paid for a second VP8 encode."""

import asyncio
import json
import statistics
import sys
import time
import urllib.request

import numpy as np
import pytest

pytest.importorskip("aiortc", reason="aiortc is installed by scripts/setup (Tests/interop/requirements.txt)")
pytest.importorskip("PIL", reason="Pillow is installed by scripts/setup (Tests/interop/requirements.txt)")

from node_harness import (BITS, BLOCK, FPS, HEIGHT, WIDTH, ROOT, Received, make_pattern_track,
                          patch_aioice_loopback, psnr, publish, read_barcode, running_node, subscribe,
                          track_frames)

sys.path.insert(0, str(ROOT / "Training"))
from common import bicubic2x  # noqa: E402  the node's exact integer bicubic (checked against `loupe restore`)

FULL_W, FULL_H = 2 * WIDTH, 2 * HEIGHT
STRIP = 2 * BLOCK          # the barcode's rows at full size: not part of the comparison
SETTLE_S, WINDOW_S = 2.0, 10.0


@pytest.fixture(autouse=True)
def loopback_ice():
    patch_aioice_loopback()


SUBTITLES = ["Restoration runs on the node, not on the phone.",
             "Small text is where upscalers fail first.",
             "0123456789 - the quick brown fox, 4:2:0, 30 fps",
             "Bandwidth estimate: 480 kbps, target 640x360",
             "Subtitles change every second; slides do not.",
             "VP8 at a low rate smears every edge it can."]


def _slides():
    """The full-size pictures: one static slide and the subtitle bars (luma, uint8)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (FULL_W, FULL_H), 228)
    d = ImageDraw.Draw(img)
    for x in range(0, FULL_W, 4):              # a soft vertical shade, so not every tile is flat
        d.line([(x, STRIP), (x, FULL_H)], fill=int(236 - 20 * x / FULL_W), width=4)
    d.text((60, 90), "Loupe: restoring a smaller picture", font=ImageFont.load_default(size=46), fill=20)
    body = ImageFont.load_default(size=26)
    lines = ["- The publisher sends 640x360 when its uplink is weak.",
             "- The node decodes it, repairs the codec's damage and doubles it.",
             "- Subscribers receive 1280x720 at the rate of their own downlink.",
             "- Tiles that did not change keep their previous output."]
    for i, line in enumerate(lines):
        d.text((80, 180 + 44 * i), line, font=body, fill=35)
    small = ImageFont.load_default(size=18)
    for i in range(6):
        d.text((80 + 190 * i, 380), f"cell {i}: {i * 37 % 101:3d} ms", font=small, fill=50)
    for i in range(12):                        # line art: thin strokes at several angles
        d.line([(700 + 40 * i, 420), (760 + 28 * i, 560)], fill=30, width=1 + i % 3)
    d.rectangle([80, 430, 620, 560], outline=25, width=3)
    d.ellipse([110, 450, 250, 540], outline=40, width=2)
    base = np.asarray(img).copy()
    font = ImageFont.load_default(size=30)
    bars = []
    for text in SUBTITLES:
        bar = Image.new("L", (FULL_W, 70), 16)
        ImageDraw.Draw(bar).text((40, 14), text, font=font, fill=235)
        bars.append(np.asarray(bar))
    return base, bars


BASE, BARS = _slides()


def full_frame(index: int) -> np.ndarray:
    y = BASE.copy()
    y[FULL_H - 90:FULL_H - 20] = BARS[index // FPS % len(BARS)]
    y[:STRIP] = 128
    for b in range(BITS):
        y[0:STRIP, 2 * b * BLOCK:2 * (b + 1) * BLOCK] = 235 if (index >> b) & 1 else 16
    return y


def box_half(y: np.ndarray) -> np.ndarray:
    h = y.astype(np.uint16)
    return ((h[0::2, 0::2] + h[1::2, 0::2] + h[0::2, 1::2] + h[1::2, 1::2] + 2) >> 2).astype(np.uint8)


CHROMA = np.full((HEIGHT // 2, WIDTH), 128, np.uint8)


def sent_frame(index: int) -> np.ndarray:
    """What the publisher sends: box_half(full_frame(index)), chroma grey (I420 rows)."""
    return np.concatenate([box_half(full_frame(index)), CHROMA])


async def keep_luma(track, frames: dict, stop: asyncio.Event, since: list):
    """Decodes everything; keeps the luma of every 3rd frame index received after since[0]."""
    async for frame in track_frames(track, stop):
        luma = frame.to_ndarray(format="yuv420p")[:frame.height, :frame.width]
        restored = (frame.width, frame.height) == (FULL_W, FULL_H)
        index = read_barcode(luma[::2, ::2] if restored else luma)
        if since[0] is not None and time.monotonic() >= since[0] and index % 3 == 0 and len(frames) < 120:
            frames.setdefault(index, luma.copy())


def model_config(tmp_path):
    """The default processor (the shipped model). The frame budget is widened so that the
    comparison is of the model itself, not of how many tiles a busy test machine let it finish,
    and the rendition's encoder gets enough rate that its re-encode is not what decides. With no
    budget to fall back on, the processor does not keep up with every frame while the publisher's
    encoder still refines the picture (full-frame runs): the rendition drops some frames at its
    processor queue (`dropsBy.processor`), which this test does not judge."""
    path = tmp_path / "model.yaml"
    path.write_text("processing: {method: model, frame_budget_ms: 2000, deadline_ms: 2000,"
                    " start_kbps: 4000, min_kbps: 3000, max_kbps: 6000}\n")
    return str(path)


def test_model_rendition_is_closer_to_the_original_than_bicubic(tmp_path):
    async def scenario():
        with running_node(tmp_path, "--config", model_config(tmp_path)) as node:
            stop = asyncio.Event()
            since = [None]
            pub, _, _ = await publish(node, "mm", video=make_pattern_track(sent_frame))
            original, restored = {}, {}
            keep = lambda frames: lambda track, _received, stop_: keep_luma(track, frames, stop_, since)
            subs = [await subscribe(node, "mm", Received(), stop, consume=keep(original)),
                    await subscribe(node, "mm", Received(), stop, variant="restored", consume=keep(restored))]
            since[0] = time.monotonic() + SETTLE_S
            await asyncio.sleep(SETTLE_S + WINDOW_S)
            rooms = json.loads(urllib.request.urlopen(node.url("/api/rooms"), timeout=5).read())
            stop.set()
            for pc in subs + [pub]:
                await pc.close()
            return original, restored, rooms, node.log()

    original, restored, rooms, log = asyncio.run(scenario())
    room = next(r for r in rooms["rooms"] if r["name"] == "mm")
    [rendition] = room["renditions"]
    assert rendition["processor"] == "restore-x2", rendition
    assert set(rendition["dropsBy"]) == {"input", "processor", "encoder"}
    assert sum(rendition["dropsBy"].values()) == rendition["drops"]
    assert "processing started" in log

    both = sorted(set(original) & set(restored))
    assert len(both) >= 20, f"only {len(both)} frames decoded by both subscribers " \
                            f"(original {len(original)}, restored {len(restored)})"
    model_db, bicubic_db, lr_db = [], [], []
    for i in both:
        full = full_frame(i)[STRIP:]
        assert restored[i].shape == (FULL_H, FULL_W) and original[i].shape == (HEIGHT, WIDTH)
        model_db.append(psnr(restored[i][STRIP:], full))
        bicubic_db.append(psnr(bicubic2x(original[i])[STRIP:], full))
        lr_db.append(psnr(original[i][BLOCK:], box_half(full_frame(i))[BLOCK:]))
    gains = [m - b for m, b in zip(model_db, bicubic_db)]
    print(f"\n{len(both)} frames: publisher's 640x360 {statistics.median(lr_db):.2f} dB vs its input; "
          f"full-size Y-PSNR: model rendition {statistics.median(model_db):.2f} dB, bicubic "
          f"{statistics.median(bicubic_db):.2f} dB, gain median {statistics.median(gains):+.2f} "
          f"(min {min(gains):+.2f}, max {max(gains):+.2f}); rendition {json.dumps(rendition)}")
    assert statistics.median(gains) > 0.5, f"model rendition only {statistics.median(gains):+.2f} dB over bicubic"
    assert sum(g > 0 for g in gains) >= 0.9 * len(gains), f"model below bicubic on {sum(g <= 0 for g in gains)} frames"
