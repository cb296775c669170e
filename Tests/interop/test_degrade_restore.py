"""`loupe degrade` then `loupe restore` on a 720p clip, checked against independent numpy
computations of the same files: the box downscale, the bicubic ×2 (Keys, a = -0.5), PSNR pooled
over frames and SSIM (Wang et al. 2004). Bad input makes both commands exit non-zero with a
message that names the problem."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from node_harness import loupe_binary

WIDTH, HEIGHT, FRAMES = 1280, 720, 30


# ---------------------------------------------------------------- Y4M, written and read here


def write_y4m(path: Path, frames: list[tuple[np.ndarray, np.ndarray, np.ndarray]], rate: str = "30:1") -> None:
    h, w = frames[0][0].shape
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{rate} Ip A1:1 C420jpeg\n".encode())
        for y, u, v in frames:
            f.write(b"FRAME\n")
            f.write(y.astype(np.uint8).tobytes())
            f.write(u.astype(np.uint8).tobytes())
            f.write(v.astype(np.uint8).tobytes())


def read_y4m(path: Path) -> tuple[dict[str, str], list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    data = path.read_bytes()
    end = data.index(b"\n")
    tokens = data[:end].decode().split()
    assert tokens[0] == "YUV4MPEG2"
    params = {t[0]: t[1:] for t in tokens[1:]}
    w, h = int(params["W"]), int(params["H"])
    cw, ch = (w + 1) // 2, (h + 1) // 2
    size = w * h + 2 * cw * ch
    frames = []
    pos = end + 1
    while pos < len(data):
        nl = data.index(b"\n", pos)
        assert data[pos:nl].split(b" ")[0] == b"FRAME"
        pos = nl + 1
        raw = np.frombuffer(data[pos:pos + size], dtype=np.uint8)
        assert raw.size == size
        frames.append((raw[:w * h].reshape(h, w), raw[w * h:w * h + cw * ch].reshape(ch, cw),
                       raw[w * h + cw * ch:].reshape(ch, cw)))
        pos += size
    return params, frames


def synthetic_clip(n: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A moving diagonal gradient, a sliding bright rectangle, a circle on a path, fine stripes
    and a little fixed noise, so that VP8 has detail to lose and bicubic has edges to blur."""
    rng = np.random.default_rng(7)
    noise = rng.integers(-6, 7, size=(HEIGHT, WIDTH))
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    cy, cx = np.mgrid[0:HEIGHT // 2, 0:WIDTH // 2]
    frames = []
    for t in range(n):
        y = 40 + 150 * ((xx + yy + 8 * t) % 640) / 640
        y = np.where((xx // 4 % 2 == 0) & (yy > 560) & (yy < 640), 230, y)  # fine stripes
        x0 = 100 + 12 * t
        y[200:330, x0:x0 + 220] = 215
        px, py = 900 + 80 * np.cos(t / 5), 360 + 80 * np.sin(t / 5)
        y = np.where((xx - px) ** 2 + (yy - py) ** 2 < 90 ** 2, 30, y)
        y = np.clip(y + noise, 0, 255)
        u = 128 + 40 * np.sin((cx + 3 * t) / 40)
        v = 128 + 40 * np.cos((cy - 2 * t) / 30)
        frames.append((y.astype(np.uint8), u.astype(np.uint8), v.astype(np.uint8)))
    return frames


# ---------------------------------------------------------------- independent references


def box_half(p: np.ndarray) -> np.ndarray:
    """2×2 average rounded half up: libyuv's box filter for an exact halving."""
    q = p.astype(np.int32)
    return ((q[0::2, 0::2] + q[0::2, 1::2] + q[1::2, 0::2] + q[1::2, 1::2] + 2) >> 2).astype(np.uint8)


def bicubic_double(p: np.ndarray) -> np.ndarray:
    """×2 with Keys' kernel (a = -0.5) at the two phases ±1/4 (weights -3, 29, 111, -9 /128),
    source indices clamped at the borders, no rounding between passes, rounded half up."""
    even = np.array([-3, 29, 111, -9], dtype=np.int64)   # taps i-2 … i+1
    odd = np.array([-9, 111, 29, -3], dtype=np.int64)    # taps i-1 … i+2

    def along(a: np.ndarray, axis: int) -> np.ndarray:
        n = a.shape[axis]
        idx = np.arange(n)
        take = lambda k: np.take(a, np.clip(idx + k, 0, n - 1), axis=axis)
        e = sum(w * take(k) for w, k in zip(even, (-2, -1, 0, 1)))
        o = sum(w * take(k) for w, k in zip(odd, (-1, 0, 1, 2)))
        out_shape = list(a.shape)
        out_shape[axis] = 2 * n
        out = np.empty(out_shape, dtype=np.int64)
        sl_e = [slice(None)] * a.ndim
        sl_o = [slice(None)] * a.ndim
        sl_e[axis] = slice(0, None, 2)
        sl_o[axis] = slice(1, None, 2)
        out[tuple(sl_e)] = e
        out[tuple(sl_o)] = o
        return out

    s = along(along(p.astype(np.int64), 0), 1)
    return np.clip((s + 8192) >> 14, 0, 255).astype(np.uint8)


def pooled_psnr(a, b) -> list[float]:
    """Per plane: 10·log10(255² / MSE), the MSE averaged over all frames (100 when 0)."""
    out = []
    for plane in range(3):
        mse = np.mean([np.mean((x[plane].astype(np.float64) - y[plane].astype(np.float64)) ** 2)
                       for x, y in zip(a, b)])
        out.append(100.0 if mse == 0 else min(100.0, 10 * np.log10(255 ** 2 / mse)))
    return out


def ssim_plane(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al. 2004: 11×11 Gaussian (σ 1.5), K1 0.01, K2 0.03, L 255, valid windows only."""
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5 ** 2))
    g /= g.sum()

    def filt(x: np.ndarray) -> np.ndarray:
        h = sum(g[k] * x[:, k:x.shape[1] - 10 + k] for k in range(11))
        return sum(g[k] * h[k:h.shape[0] - 10 + k, :] for k in range(11))

    x, y = a.astype(np.float64), b.astype(np.float64)
    mx, my = filt(x), filt(y)
    vx, vy, cxy = filt(x * x) - mx * mx, filt(y * y) - my * my, filt(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    m = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(m.mean())


# ---------------------------------------------------------------- running loupe


def loupe(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([loupe_binary(), *args], capture_output=True, text=True, timeout=timeout)


def numbers_after(label: str, text: str) -> list[float]:
    m = re.search(label + r" Y (-?[\d.]+) U (-?[\d.]+) V (-?[\d.]+)", text)
    assert m, f"no '{label} Y … U … V …' in output:\n{text}"
    return [float(m.group(i)) for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "in.y4m"
    write_y4m(path, synthetic_clip(FRAMES))
    return path


def test_degrade_then_restore_matches_numpy(clip: Path, tmp_path: Path):
    low, restored = tmp_path / "low.y4m", tmp_path / "restored.y4m"
    result = loupe("degrade", str(clip), str(low), "--width", "640", "--height", "360", "--codec", "vp8",
                   "--kbps", "500")
    assert result.returncode == 0, result.stderr
    print(result.stdout)
    _, original = read_y4m(clip)
    params, decoded = read_y4m(low)
    assert (params["W"], params["H"], params["F"]) == ("640", "360", "30:1")
    assert len(decoded) == FRAMES
    # The summary's PSNR is the decoded video against the box-downscaled input.
    downscaled = [tuple(box_half(p) for p in f) for f in original]
    printed = numbers_after("PSNR", result.stdout)
    assert np.allclose(printed, pooled_psnr(decoded, downscaled), atol=0.01), (printed, pooled_psnr(decoded, downscaled))
    kbps = float(re.search(r"([\d.]+) kbps", result.stdout).group(1))
    assert 250 < kbps < 1000, result.stdout  # CBR near 500 (the first keyframe weighs on 1 s of video)

    result = loupe("restore", str(low), str(restored), "--scale", "2", "--method", "bicubic", "--threads", "2",
                   "--reference", str(clip))
    assert result.returncode == 0, result.stderr
    print(result.stdout)
    params, upscaled = read_y4m(restored)
    assert (params["W"], params["H"]) == ("1280", "720")
    assert len(upscaled) == FRAMES
    # The upscaler's output is bit-identical to the numpy bicubic of the decoded frames.
    for i in (0, FRAMES // 2, FRAMES - 1):
        for plane in range(3):
            assert np.array_equal(upscaled[i][plane], bicubic_double(decoded[i][plane])), (i, plane)
    psnr = pooled_psnr(upscaled, original)
    assert np.allclose(numbers_after("PSNR", result.stdout), psnr, atol=0.01), (result.stdout, psnr)
    ssim = [np.mean([ssim_plane(a[p], b[p]) for a, b in zip(upscaled, original)]) for p in range(3)]
    assert np.allclose(numbers_after("SSIM", result.stdout), ssim, atol=1.5e-4), (result.stdout, ssim)
    assert 20 < psnr[0] < 45 and 0.5 < ssim[0] < 1


def test_degrade_drops_frames_to_a_lower_rate(clip: Path, tmp_path: Path):
    low = tmp_path / "low15.y4m"
    result = loupe("degrade", str(clip), str(low), "--width", "320", "--height", "180", "--codec", "vp9",
                   "--kbps", "200", "--fps", "15", "--quantizers", str(tmp_path / "low15.q"))
    assert result.returncode == 0, result.stderr
    params, frames = read_y4m(low)
    assert (params["W"], params["H"], params["F"]) == ("320", "180", "15:1")
    assert len(frames) == FRAMES // 2
    # one VP9 quantizer index (0…255) per output frame
    q = [int(t) for t in (tmp_path / "low15.q").read_text().split()]
    assert len(q) == FRAMES // 2 and all(0 <= v <= 255 for v in q), q


def test_degrade_quantizers_follow_the_bitrate(clip: Path, tmp_path: Path):
    """--quantizers: the decoder's VP8 quantizer index (0…127) per frame, coarser when starved."""
    mean = {}
    for kbps in (100, 2000):
        out, qf = tmp_path / f"{kbps}.y4m", tmp_path / f"{kbps}.q"
        result = loupe("degrade", str(clip), str(out), "--width", "320", "--height", "180", "--codec", "vp8",
                       "--kbps", str(kbps), "--quantizers", str(qf))
        assert result.returncode == 0, result.stderr
        q = [int(t) for t in qf.read_text().split()]
        assert len(q) == FRAMES and all(0 <= v <= 127 for v in q), q
        mean[kbps] = np.mean(q[5:])
    assert mean[100] > mean[2000] + 10, mean
    bad = loupe("degrade", str(clip), str(tmp_path / "o.y4m"), "--width", "320", "--height", "180",
                "--codec", "vp8", "--kbps", "100", "--quantizers", str(tmp_path / "no-such-dir" / "q"))
    assert bad.returncode != 0 and "no-such-dir" in bad.stderr, bad.stderr


@pytest.mark.parametrize("name, header, message", [
    ("missing width", b"YUV4MPEG2 H720 F30:1 Ip C420jpeg\n", "missing width (W)"),
    ("4:4:4", b"YUV4MPEG2 W64 H64 F30:1 C444\n", "C444 is not supported"),
    ("not y4m", b"RIFF....WAVEfmt \n", "not a Y4M file"),
])
def test_bad_headers_are_named(tmp_path: Path, name: str, header: bytes, message: str):
    bad = tmp_path / "bad.y4m"
    bad.write_bytes(header + b"FRAME\n" + bytes(64 * 64 * 3 // 2))
    for args in (["degrade", str(bad), str(tmp_path / "o.y4m"), "--width", "32", "--height", "32",
                  "--codec", "vp8", "--kbps", "100"],
                 ["restore", str(bad), str(tmp_path / "o.y4m")]):
        result = loupe(*args)
        assert result.returncode == 1, (name, result)
        assert message in result.stderr, (name, result.stderr)


def test_bad_invocations_exit_cleanly(clip: Path, tmp_path: Path):
    out = str(tmp_path / "o.y4m")
    truncated = tmp_path / "truncated.y4m"
    truncated.write_bytes(clip.read_bytes()[:100_000])
    cases = [
        (["restore", str(tmp_path / "missing.y4m"), out], "cannot open"),
        (["restore", str(truncated), out], "truncated"),
        (["restore", str(clip), out, "--method", "model", "--model", str(tmp_path / "missing.safetensors")],
         "cannot read"),
        (["restore", str(clip), out, "--method", "model", "--model", str(truncated)], "model file"),
        (["restore", str(truncated), out, "--reference", str(tmp_path / "missing.y4m")], "cannot open"),
        (["restore", str(clip), out, "--scale", "9"], "--scale"),
        (["degrade", str(clip), out, "--width", "0", "--height", "360", "--codec", "vp8", "--kbps", "500"], "--width"),
        (["degrade", str(clip), out, "--width", "640", "--height", "360", "--codec", "h264", "--kbps", "500"], "codec"),
        (["degrade", str(tmp_path / "missing.y4m"), out, "--width", "640", "--height", "360", "--codec", "vp8",
          "--kbps", "500"], "cannot open"),
    ]
    for args, message in cases:
        result = loupe(*args)
        assert result.returncode > 0, (args, result)  # an exit status, not a signal
        assert message in result.stderr, (args, result.stderr)


def test_restore_reads_each_frames_quantizer(clip: Path, tmp_path: Path):
    """--quantizers / --codec give a quantizer-conditioned model each frame's codec quantizer
    (docs/model-format.md); without them it falls back to the model's default and says so; a
    file too short for the clip is an error naming it."""
    low, q = tmp_path / "low.y4m", tmp_path / "low.q"
    result = loupe("degrade", str(clip), str(low), "--width", "640", "--height", "360", "--codec", "vp8",
                   "--kbps", "3000", "--quantizers", str(q))
    assert result.returncode == 0, result.stderr
    indexes = [int(t) for t in q.read_text().split()]
    assert max(indexes[5:]) < 80, indexes   # a generous rate: frames far from the training median (106)

    known, unknown = tmp_path / "known.y4m", tmp_path / "unknown.y4m"
    with_q = loupe("restore", str(low), str(known), "--method", "model", "--no-tile-reuse",
                   "--quantizers", str(q), "--codec", "vp8", "--reference", str(clip))
    assert with_q.returncode == 0, with_q.stderr
    without = loupe("restore", str(low), str(unknown), "--method", "model", "--no-tile-reuse", "--reference", str(clip))
    assert without.returncode == 0, without.stderr
    conditioned = "frames without one used the model's default" in without.stdout
    assert "without one" not in with_q.stdout, with_q.stdout
    if conditioned:   # the built-in model is conditioned on the quantizer: the two runs differ
        assert f"quantizer: {FRAMES} frames" in without.stdout, without.stdout
        _, a = read_y4m(known)
        _, b = read_y4m(unknown)
        assert any(not np.array_equal(x[0], y[0]) for x, y in zip(a, b))
        assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))   # chroma is bicubic either way
    short = tmp_path / "short.q"
    short.write_text("\n".join(map(str, indexes[:10])) + "\n")
    bad = loupe("restore", str(low), str(tmp_path / "o.y4m"), "--method", "model", "--quantizers", str(short))
    assert bad.returncode != 0 and "short.q has 10 entries" in bad.stderr, bad.stderr
    garbage = tmp_path / "garbage.q"
    garbage.write_text("12\nabc\n")
    bad = loupe("restore", str(low), str(tmp_path / "o.y4m"), "--method", "model", "--quantizers", str(garbage))
    assert bad.returncode != 0 and "entry 2 \"abc\"" in bad.stderr, bad.stderr
    bad = loupe("restore", str(low), str(tmp_path / "o.y4m"), "--quantizers", str(q))
    assert bad.returncode != 0 and "--quantizers needs --method model" in bad.stderr, bad.stderr
