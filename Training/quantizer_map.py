"""Maps VP9's quantizer index onto VP8's for the quantizer-conditioned network, which only ever
trained on VP8 (`q = VP8 index / 127`).

The two indexes are on different scales (VP8 0…127, VP9 0…255, different step tables and
transform gains), so the map is measured rather than derived: training clips (never the test set)
are degraded with VP9 at the rates make_data.py used for VP8; for each VP9 stream the VP8 index
that gave the same clip the same decoded PSNR (interpolated over that clip's VP8 rates) is its
VP8 equivalent. A least-squares line through those pairs is the map; it prints the line and the
fit, which model.py's QUANTIZER_SPEC carries ("vp9": [slope, intercept] on the VP8 index).

  LOUPE=.build/release/loupe /usr/bin/python3 Training/quantizer_map.py [--clips 24]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from common import DATA, find_loupe, read_quantizers

SKIP = 10   # frames: the first keyframe's overshoot, as train.py skips them


def degrade(loupe: str, hr: Path, out: Path, w: int, h: int, kbps: int, codec: str) -> tuple[float, float]:
    """(mean quantizer index after SKIP frames, decoded Y-PSNR) of one degraded stream."""
    r = subprocess.run([loupe, "degrade", str(hr), str(out), "--width", str(w), "--height", str(h), "--codec", codec,
                        "--kbps", str(kbps), "--quantizers", str(out.with_suffix(".q"))],
                       check=True, capture_output=True, text=True)
    psnr = float(re.search(r"PSNR Y ([\d.]+)", r.stdout).group(1))
    return float(np.nanmean(read_quantizers(out)[SKIP:])), psnr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA / "full" / "train")
    ap.add_argument("--clips", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    loupe = find_loupe()
    index = json.loads((a.data / "index.json").read_text())
    clips = random.Random(a.seed).sample(index, min(a.clips, len(index)))
    pairs = []
    with tempfile.TemporaryDirectory() as tmp:
        for m in clips:
            d = a.data / m["name"]
            w, h = m["width"] // 2, m["height"] // 2
            vp8 = sorted(degrade(loupe, d / "hr.y4m", Path(tmp) / f"vp8-{v['kbps']}.y4m", w, h, v["kbps"], "vp8")
                         for v in m["variants"])
            vp9 = [degrade(loupe, d / "hr.y4m", Path(tmp) / f"vp9-{v['kbps']}.y4m", w, h, v["kbps"], "vp9")
                   for v in m["variants"]]
            q8, p8 = np.array([v[0] for v in vp8]), np.array([v[1] for v in vp8])
            order = np.argsort(p8)
            for q9, p9 in vp9:
                if p8.min() <= p9 <= p8.max():   # inside this clip's VP8 range: no extrapolation
                    pairs.append((q9, float(np.interp(p9, p8[order], q8[order])), m["name"]))
            print(m["name"], "vp8", [(round(q, 1), round(p, 2)) for q, p in vp8],
                  "vp9", [(round(q, 1), round(p, 2)) for q, p in vp9], flush=True)
    x = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    print(f"{len(pairs)} pairs from {len(clips)} clips: VP8-equivalent index = {slope:.4f} × VP9 index "
          f"{intercept:+.2f} (RMS error {np.sqrt(np.mean(resid ** 2)):.2f} VP8 steps, VP9 index {x.min():.0f}…{x.max():.0f})")


if __name__ == "__main__":
    main()
