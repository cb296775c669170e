"""What temporal tile reuse costs in quality: `loupe restore --method model` with --tile-reuse and
with --no-tile-reuse on held-out clips at each 640×360 ladder point, Y-PSNR of each against the
original 1280×720 frames (pooled over the frames after the first second, as evaluate.py), and how
many tiles reuse skipped.

  LOUPE=.build/release/loupe /usr/bin/python3 Training/reuse_cost.py --clips studio,talking
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from common import DATA, find_loupe, read_y4m
from evaluate import db, mse


def restore(loupe: str, lr: Path, out: Path, reuse: bool, model: str | None, codec: str) -> tuple[np.ndarray, int, int]:
    cmd = [loupe, "restore", str(lr), str(out), "--method", "model", "--tile-reuse" if reuse else "--no-tile-reuse"]
    if model:
        cmd += ["--model", model]
    if lr.with_suffix(".q").exists():   # each frame's codec quantizer (make_data.py keeps it beside the clip)
        cmd += ["--quantizers", str(lr.with_suffix(".q")), "--codec", codec]
    log = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r"tiles: (\d+) computed, (\d+) reused", log)
    frames, _ = read_y4m(out)
    return frames, int(m.group(1)), int(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA / "full" / "test")
    ap.add_argument("--clips", default="studio,talking")
    ap.add_argument("--codecs", default="vp8,vp9")
    ap.add_argument("--model", help="model file (default: the one built into loupe)")
    ap.add_argument("--skip-seconds", type=float, default=1.0)
    a = ap.parse_args()
    loupe = find_loupe()
    index = {c["name"]: c for c in json.loads((a.data / "index.json").read_text())}
    print("| clip | 640x360 | full recompute | tile reuse | cost | tiles reused |")
    print("|---|---|---|---|---|---|")
    costs = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.clips.split(","):
            clip = index[name]
            hr, fps = read_y4m(a.data / name / "hr.y4m")
            skip = int(round(a.skip_seconds * fps[0] / fps[1]))
            for p in clip["points"]:
                if (p["width"], p["height"]) != (640, 360) or p["codec"] not in a.codecs.split(","):
                    continue
                lr = a.data / name / p["lr"]
                full, _, _ = restore(loupe, lr, Path(tmp) / "full.y4m", False, a.model, p["codec"])
                reused, computed, skipped = restore(loupe, lr, Path(tmp) / "reuse.y4m", True, a.model, p["codec"])
                n = len(full)
                f_db, r_db = db(mse(full[skip:], hr[skip:n])), db(mse(reused[skip:], hr[skip:n]))
                costs.append(f_db - r_db)
                print(f"| {name} | {p['codec'].upper()} {p['kbps']} kbps | {f_db:.3f} | {r_db:.3f} | {f_db - r_db:.3f} | "
                      f"{skipped} of {computed + skipped} ({100 * skipped / max(1, computed + skipped):.0f} %) |", flush=True)
    print(f"\nlargest cost {max(costs):.3f} dB, mean {np.mean(costs):.3f} dB")


if __name__ == "__main__":
    main()
