"""Scores a restoration model on the held-out test clips (make_data.py's test/ set) at every
ladder point and writes a markdown table.

For each clip and ladder point, Y-PSNR against the ORIGINAL full-resolution frames, pooled over
frames from the second second on (libvpx overshoots while its first keyframe is paid for):
  direct    the full-size picture encoded directly at the same bitrate (`loupe degrade` at 1280×720)
  bicubic   the degraded low-res clip upscaled by `loupe restore --method bicubic`
  restored  the model: by default a PyTorch run of the EXPORTED merged graph (the safetensors file,
            run by model.run_graph, recurrent state as the node keeps it); with --loupe-model,
            `loupe restore --method model` (the Swift/oneDNN implementation) instead.
320×180 points are scored at 640×360 against the 2×2 box-downscaled original (their ×2 output size).
A repair-only (scale 1) model is scored at the low-res size against the box-downscaled original, and
compared with the decoded picture itself ("decoded" instead of "bicubic"; no "direct" column).
Groups: codec × low-res size (VP8 640×360 and 320×180, VP9 640×360).

  /usr/bin/python3 Training/evaluate.py Sources/Restoration/Models/restore-x2.safetensors --out docs/quality.md
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from common import DATA, bicubic2x, find_loupe, read_quantizers, read_safetensors, read_y4m, write_y4m
from model import normalized_quantizer, run_graph


def mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


def db(m: float) -> float:
    return 10 * np.log10(255.0 ** 2 / max(m, 1e-10))


def box_half(y: np.ndarray) -> np.ndarray:
    h = y.astype(np.uint16)
    return ((h[..., 0::2, 0::2] + h[..., 1::2, 0::2] + h[..., 0::2, 1::2] + h[..., 1::2, 1::2] + 2) >> 2).astype(np.uint8)


class GraphModel:
    """Runs an exported loupe-restoration/1 file frame by frame, as the node does."""

    def __init__(self, path: Path):
        tensors, meta = read_safetensors(path)
        assert meta["format"] == "loupe-restoration/1"
        self.arch = json.loads(meta["architecture"])
        self.tensors = tensors
        self.scale = self.arch["scale"]
        self.names = [i["name"] for i in self.arch["inputs"]]
        self.quantizer = "quantizer" in self.arch
        assert self.arch["skip"] == "bicubic" and self.scale in (1, 2)

    @torch.no_grad()
    def run(self, lr_frames: np.ndarray, q: np.ndarray | None = None) -> np.ndarray:
        """q: the frames' normalized quantizers (quantizer-conditioned networks)."""
        s = self.scale
        qt = None if q is None else torch.from_numpy(np.asarray(q, np.float32))
        if self.names == ["lr"]:      # no state: several frames at once
            outs = []
            for i in range(0, len(lr_frames), 8):
                lr = lr_frames[i:i + 8]
                skip = torch.from_numpy(bicubic2x(lr) if s == 2 else lr).float()[:, None] / 255
                y = (run_graph(self.arch, self.tensors, {"lr": torch.from_numpy(lr).float()[:, None] / 255},
                               None if qt is None else qt[i:i + 8]) + skip).clamp(0, 1)
                outs.append(torch.floor(y * 255 + 0.5).clamp(0, 255)[:, 0].byte().numpy())
            return np.concatenate(outs)
        outs = []
        prev_lr = prev_out = None
        for t, lr in enumerate(lr_frames):
            skip_u8 = bicubic2x(lr) if s == 2 else lr
            skip = torch.from_numpy(skip_u8).float()[None, None] / 255
            x = torch.from_numpy(lr).float()[None, None] / 255
            inputs = {"lr": x}
            if "prev_lr" in self.names:
                inputs["prev_lr"] = x if prev_lr is None else prev_lr
            if "prev_out" in self.names:
                po = skip if prev_out is None else prev_out
                inputs["prev_out"] = F.pixel_unshuffle(po, s) if s > 1 else po
            y = (run_graph(self.arch, self.tensors, inputs, None if qt is None else qt[t:t + 1]) + skip).clamp(0, 1)
            o = torch.floor(y * 255 + 0.5).clamp(0, 255)
            prev_lr, prev_out = x, o / 255
            outs.append(o[0, 0].byte().numpy())
        return np.stack(outs)


def achieved_kbps(log: str) -> float:
    m = re.search(r"([\d.]+) kbps", log)
    return float(m.group(1)) if m else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--data", type=Path, default=DATA / "full" / "test")
    ap.add_argument("--out", type=Path, help="markdown file to write (also printed)")
    ap.add_argument("--json", type=Path, help="raw numbers")
    ap.add_argument("--skip-seconds", type=float, default=1.0)
    ap.add_argument("--frame-step", type=int, default=1,
                    help="score every N-th frame after the first second (single-frame models then run on those only)")
    ap.add_argument("--loupe-model", action="store_true",
                    help="restore with `loupe restore --method model` instead of PyTorch")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", help="only these low-res sizes, e.g. 640x360")
    ap.add_argument("--codecs", help="only these codecs, e.g. vp8")
    ap.add_argument("--tile-reuse", action="store_true",
                    help="with --loupe-model: keep loupe's temporal tile reuse on (default: full recomputation; "
                         "reuse_cost.py measures what reuse costs)")
    ap.add_argument("--kbps", help="only these ladder points, e.g. 150,400,800")
    ap.add_argument("--clips", help="only these clips, e.g. bbb,text")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    loupe = find_loupe()
    gm = GraphModel(a.model)
    restore_help = subprocess.run([loupe, "help", "restore"], capture_output=True, text=True).stdout
    rows = []
    index = json.loads((a.data / "index.json").read_text())
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for clip in index:
            d = a.data / clip["name"]
            hr_full, fps = read_y4m(d / "hr.y4m")
            skip = int(round(a.skip_seconds * fps[0] / fps[1]))
            if a.clips and clip["name"] not in a.clips.split(","):
                continue
            for p in clip["points"]:
                if a.sizes and f"{p['width']}x{p['height']}" not in a.sizes.split(","):
                    continue
                if a.codecs and p["codec"] not in a.codecs.split(","):
                    continue
                if a.kbps and str(p["kbps"]) not in a.kbps.split(","):
                    continue
                lr, _ = read_y4m(d / p["lr"])
                n = len(lr)
                q = None
                if gm.quantizer:   # the per-frame quantizer index make_data.py kept beside the clip
                    q = normalized_quantizer(read_quantizers(d / p["lr"])[:n], p["codec"])
                # the reference: the original at the model's output size (2×2 box steps down)
                hr = hr_full[:n]
                while hr.shape[2] > p["width"] * gm.scale:
                    hr = box_half(hr)
                # bicubic through the node's own upscaler
                bic_path = tmp / "bic.y4m"
                subprocess.run([loupe, "restore", str(d / p["lr"]), str(bic_path), "--scale", "2", "--method", "bicubic"],
                               check=True, capture_output=True)
                bic, _ = read_y4m(bic_path)
                assert np.array_equal(bic, bicubic2x(lr)), "Training's bicubic differs from loupe restore"
                if gm.scale == 1:   # a repair-only model is compared with the decoded picture itself
                    bic = lr
                sel = list(range(skip, n, a.frame_step))
                if a.loupe_model:
                    out_path = tmp / "model.y4m"
                    cmd = [loupe, "restore", str(d / p["lr"]), str(out_path), "--scale", str(gm.scale), "--method", "model",
                           "--tile-reuse" if a.tile_reuse else "--no-tile-reuse"]
                    if "--model" in restore_help:
                        cmd += ["--model", str(a.model)]
                    if gm.quantizer:
                        cmd += ["--quantizers", str((d / p["lr"]).with_suffix(".q")), "--codec", p["codec"]]
                    subprocess.run(cmd, check=True, capture_output=True)
                    res, _ = read_y4m(out_path)
                elif gm.names == ["lr"]:
                    res = np.zeros_like(bic)
                    res[sel] = gm.run(lr[sel], None if q is None else q[sel])
                else:
                    res = gm.run(lr, q)
                row = {"clip": clip["name"], "codec": p["codec"], "size": f"{p['width']}x{p['height']}",
                       "kbps": p["kbps"], "achieved_kbps": achieved_kbps(p["log"]),
                       "bicubic": db(mse(bic[sel], hr[sel])), "restored": db(mse(res[sel], hr[sel]))}
                if "direct" in p and gm.scale == 2:
                    direct, _ = read_y4m(d / p["direct"])
                    row["direct"] = db(mse(direct[sel], hr_full[sel]))
                    row["direct_achieved_kbps"] = achieved_kbps(p["direct_log"])
                row["gain"] = row["restored"] - row["bicubic"]
                rows.append(row)
                print(f"{row['clip']:8s} {row['codec']} {row['size']} {row['kbps']:4d} kbps (got {row['achieved_kbps']:.0f}): "
                      f"{'bicubic' if gm.scale == 2 else 'decoded'} {row['bicubic']:.2f} restored {row['restored']:.2f} ({row['gain']:+.2f})"
                      + (f" direct {row['direct']:.2f}" if "direct" in row else ""), flush=True)
    md = table(rows, a, time.time() - t0, gm.scale)
    print(md)
    if a.out:
        a.out.write_text(md)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


def table(rows, a, seconds: float, scale: int) -> str:
    impl = "`loupe restore --method model`" if a.loupe_model else "PyTorch run of the exported graph"
    lines = [f"Model `{a.model.name}`; restored by {impl}; Y-PSNR (dB) vs the original frames, pooled over "
             f"frames after the first {a.skip_seconds:g} s" + (f" (every {a.frame_step}th)" if a.frame_step > 1 else "") + "; kbps = target (achieved by libvpx in brackets).", ""]
    groups = sorted({(r["codec"], r["size"]) for r in rows}, key=lambda g: (g[0], -int(g[1].split("x")[0])))
    for codec, size in groups:
        sel = [r for r in rows if (r["codec"], r["size"]) == (codec, size)]
        has_direct = any("direct" in r for r in sel)
        hdr = f"| clip | {codec.upper()} {size} kbps | " + ("direct 1280x720 | " if has_direct else "") + ("bicubic" if scale == 2 else "decoded") + " | restored | gain |"
        lines += [hdr, "|" + "---|" * (hdr.count("|") - 1)]
        for r in sel:
            lines.append(f"| {r['clip']} | {r['kbps']} ({r['achieved_kbps']:.0f}) | "
                         + (f"{r['direct']:.2f} ({r['direct_achieved_kbps']:.0f}) | " if has_direct else "")
                         + f"{r['bicubic']:.2f} | {r['restored']:.2f} | {r['gain']:+.2f} |")
        for k in sorted({r["kbps"] for r in sel}):
            rs = [r for r in sel if r["kbps"] == k]
            lines.append(f"| **mean** | {k} | "
                         + (f"{np.mean([r['direct'] for r in rs]):.2f} | " if has_direct else "")
                         + f"{np.mean([r['bicubic'] for r in rs]):.2f} | {np.mean([r['restored'] for r in rs]):.2f} | "
                         f"**{np.mean([r['gain'] for r in rs]):+.2f}** |")
        g = [r["gain"] for r in sel]
        lines += ["", f"{codec.upper()} {size}: mean gain over {'bicubic' if scale == 2 else 'the decoded picture'} **{np.mean(g):+.2f} dB** (min {min(g):+.2f}, max {max(g):+.2f}) "
                      f"over {len(sel)} points.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
