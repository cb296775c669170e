"""Shared helpers for Training/: Y4M I/O, the node's exact ×2 bicubic, finding the `loupe`
binary, PSNR, and a minimal safetensors writer/reader (docs/model-format.md)."""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

TRAINING = Path(__file__).resolve().parent
REPO = TRAINING.parent
DATA = Path(os.environ.get("LOUPE_TRAIN_DATA", "/work/train-data"))


# ---------------------------------------------------------------------------------------------
# the loupe binary

def find_loupe() -> str:
    """The `loupe` executable: $LOUPE if set, else the release build of this checkout (built with
    `swift build -c release --product loupe` when missing)."""
    env = os.environ.get("LOUPE")
    if env:
        return env
    if shutil.which("swift") is None:
        raise SystemExit("set LOUPE=/path/to/loupe (no swift toolchain to build it)")
    binpath = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO,
                             check=True, capture_output=True, text=True).stdout.strip()
    exe = Path(binpath) / "loupe"
    if not exe.exists():
        subprocess.run(["swift", "build", "-c", "release", "--product", "loupe"], cwd=REPO, check=True)
    return str(exe)


# ---------------------------------------------------------------------------------------------
# Y4M (8-bit 4:2:0)

class Y4M:
    def __init__(self, width: int, height: int, fps: tuple[int, int], frames: list[np.ndarray]):
        self.width, self.height, self.fps, self.frames = width, height, fps, frames  # frames: I420 bytes


def read_y4m(path: str | Path, luma_only: bool = True, max_frames: int | None = None):
    """Returns (Y frames as uint8 array [N, H, W], fps tuple). With luma_only=False returns a list
    of (y, u, v) tuples."""
    data = Path(path).read_bytes()
    nl = data.index(b"\n")
    header = data[:nl].decode().split()
    assert header[0] == "YUV4MPEG2", path
    w = h = 0
    fps = (30, 1)
    for tok in header[1:]:
        if tok[0] == "W":
            w = int(tok[1:])
        elif tok[0] == "H":
            h = int(tok[1:])
        elif tok[0] == "F":
            a, b = tok[1:].split(":")
            fps = (int(a), int(b))
        elif tok[0] == "C":
            assert tok.startswith("C420"), f"{path}: only 4:2:0 supported ({tok})"
    cw, ch = (w + 1) // 2, (h + 1) // 2
    fsize = w * h + 2 * cw * ch
    pos = nl + 1
    ys, full = [], []
    while pos < len(data):
        fnl = data.index(b"\n", pos)
        assert data[pos:pos + 5] == b"FRAME"
        pos = fnl + 1
        buf = np.frombuffer(data, np.uint8, fsize, pos)
        pos += fsize
        y = buf[:w * h].reshape(h, w)
        if luma_only:
            ys.append(y)
        else:
            u = buf[w * h:w * h + cw * ch].reshape(ch, cw)
            v = buf[w * h + cw * ch:].reshape(ch, cw)
            full.append((y, u, v))
        if max_frames and len(ys) + len(full) >= max_frames:
            break
    if luma_only:
        return np.stack(ys), fps
    return full, fps


def write_y4m(path: str | Path, frames, fps: tuple[int, int] = (30, 1)):
    """frames: iterable of (y, u, v) uint8 planes, or of Y planes alone (chroma set to 128)."""
    with open(path, "wb") as f:
        header_written = False
        for fr in frames:
            if isinstance(fr, np.ndarray):
                y = fr
                ch, cw = (y.shape[0] + 1) // 2, (y.shape[1] + 1) // 2
                u = v = np.full((ch, cw), 128, np.uint8)
            else:
                y, u, v = fr
            if not header_written:
                f.write(f"YUV4MPEG2 W{y.shape[1]} H{y.shape[0]} F{fps[0]}:{fps[1]} Ip A1:1 C420jpeg\n".encode())
                header_written = True
            f.write(b"FRAME\n")
            f.write(np.ascontiguousarray(y, np.uint8).tobytes())
            f.write(np.ascontiguousarray(u, np.uint8).tobytes())
            f.write(np.ascontiguousarray(v, np.uint8).tobytes())


def rgb_to_yuv420(rgb: np.ndarray):
    """BT.601 limited range (what libvpx/WebRTC assume) from float or uint8 RGB [H, W, 3]."""
    rgb = rgb.astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    h, w = y.shape
    u = u[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2).mean((1, 3))
    v = v[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2).mean((1, 3))
    q = lambda a: np.clip(np.floor(a + 0.5), 0, 255).astype(np.uint8)
    return q(y), q(u), q(v)


# ---------------------------------------------------------------------------------------------
# the node's bicubic ×2 (Sources/Media/BicubicUpscaler.swift, exact integer path)

EVEN = np.array([-3, 29, 111, -9], np.int64)   # taps i-2 .. i+1 for output 2i
ODD = np.array([-9, 111, 29, -3], np.int64)    # taps i-1 .. i+2 for output 2i+1


def _double_axis(a: np.ndarray, axis: int) -> np.ndarray:
    """Exact integer ×2 along `axis` (result in units of 1/128), edge-clamped."""
    n = a.shape[axis]
    idx = np.arange(n)
    take = lambda off: np.take(a, np.clip(idx + off, 0, n - 1), axis=axis)
    m2, m1, z, p1, p2 = take(-2), take(-1), take(0), take(1), take(2)
    even = EVEN[0] * m2 + EVEN[1] * m1 + EVEN[2] * z + EVEN[3] * p1
    odd = ODD[0] * m1 + ODD[1] * z + ODD[2] * p1 + ODD[3] * p2
    out = np.stack([even, odd], axis=axis + 1)
    shape = list(a.shape)
    shape[axis] = 2 * n
    return out.reshape(shape)


def bicubic2x(y: np.ndarray) -> np.ndarray:
    """uint8 [..., H, W] → uint8 [..., 2H, 2W], bit-identical to `loupe restore --method bicubic`."""
    a = y.astype(np.int64)
    v = _double_axis(a, a.ndim - 2)
    hv = _double_axis(v, a.ndim - 1)
    return np.clip((hv + 8192) >> 14, 0, 255).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0 ** 2 / max(mse, 1e-10)))


# ---------------------------------------------------------------------------------------------
# safetensors (https://huggingface.co/docs/safetensors): u64 LE header length, JSON header, data

def write_safetensors(path: str | Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]):
    header: dict = {"__metadata__": dict(metadata)}
    blobs, offset = [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        b = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * ((8 - len(hjson) % 8) % 8)   # pad to 8 bytes (allowed: trailing spaces)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read_safetensors(path: str | Path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32"
        s, e = info["data_offsets"]
        out[name] = np.frombuffer(data[s:e], "<f4").reshape(info["shape"]).copy()
    return out, meta


def read_quantizers(y4m: Path) -> np.ndarray:
    """The per-frame codec quantizer indexes `loupe degrade --quantizers` wrote beside a degraded
    clip (`clip.q`, one per line; "-" = unknown → NaN), as float32."""
    return np.array([float(t) if t != "-" else np.nan for t in y4m.with_suffix(".q").read_text().split()], np.float32)
