"""Exports a trained checkpoint as a `loupe-restoration/1` safetensors file
(docs/model-format.md) plus the parity fixture the Swift Inference tests run.

  /usr/bin/python3 Training/export.py Training/runs/x2/ckpt.pt
      → Sources/Restoration/Models/restore-x2.safetensors
        Sources/Restoration/Models/restore-x2.parity.safetensors

The fixture holds `input.lr` (random 8-bit values / 255, [1,1,36,64]), for temporal models
`input.prev_lr` (same kind) and `input.prev_out` ([1, scale², 36, 64], i.e. already
pixel-unshuffled, random 8-bit values / 255), and `output`: the exported graph's output plus the
bicubic skip, clamped to [0,1], not rounded, [1,1,36·scale,64·scale].
"""
from __future__ import annotations

import argparse
import datetime
import json
import subprocess
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from common import REPO, read_safetensors, write_safetensors
from model import Restorer, run_graph

MODELS = REPO / "Sources" / "Restoration" / "Models"


def load_checkpoint(path: Path) -> tuple[Restorer, dict]:
    ck = torch.load(path)
    m = Restorer(**ck["config"])
    m.load_state_dict(ck["model"], strict=False)
    m.eval()
    return m, ck


def export(model: Restorer, ck: dict, out: Path, name: str):
    arch, tensors = model.export_graph()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = ""
    args = ck.get("args", {})
    meta = {
        "format": "loupe-restoration/1",
        "architecture": json.dumps(arch, separators=(",", ":")),
        "name": name,
        "trained": (f"{datetime.date.today().isoformat()}; Training/train.py, {ck.get('iters', 0)} iterations, "
                    f"{float(ck.get('minutes', 0)):.0f} min CPU (last stage); data: Training/make_data.py "
                    f"(panned photos, videos, rendered text through loupe degrade, VP8); "
                    f"config {json.dumps(model.config())}; args seq={args.get('seq')} patch={args.get('patch')}"),
        "commit": commit,
    }
    write_safetensors(out, tensors, meta)
    return arch, tensors


def parity(model: Restorer, arch: dict, tensors: dict, out: Path, seed: int = 1234):
    g = np.random.default_rng(seed)
    s = model.scale
    h, w = 36, 64
    u8 = lambda *shape: g.integers(0, 256, shape).astype(np.float32)
    lr = u8(1, 1, h, w)
    inputs = {"lr": torch.from_numpy(lr / 255)}
    fixture = {"input.lr": lr / 255}
    if model.temporal:
        pl = u8(1, 1, h, w)
        po = u8(1, s * s, h, w)
        inputs["prev_lr"] = torch.from_numpy(pl / 255)
        inputs["prev_out"] = torch.from_numpy(po / 255)
        fixture["input.prev_lr"] = pl / 255
        fixture["input.prev_out"] = po / 255
    q = None
    if model.quantizer:   # the normalized quantizer of the frame (a scalar)
        q = np.array([g.uniform(0.1, 0.9)], np.float32)
        fixture["input.quantizer"] = q
        q = torch.from_numpy(q)
    with torch.no_grad():
        g_out = run_graph(arch, tensors, inputs, q)
        skip = model.skip(torch.from_numpy(lr))
        y = (g_out + skip).clamp(0, 1)
        # the training network itself must agree with the exported graph
        po_full = F.pixel_shuffle(inputs["prev_out"], s) if model.temporal and s > 1 else inputs.get("prev_out")
        ref, _ = model(torch.from_numpy(lr), torch.from_numpy(fixture["input.prev_lr"] * 255) if model.temporal else None,
                       po_full, branches=True, q=q)
        diff = (ref - y).abs().max().item()
        assert diff < 1e-4, f"training network and exported graph differ by {diff}"
    fixture["output"] = y.numpy()
    write_safetensors(out, fixture, {"format": "loupe-restoration-parity/1",
                                     "model": out.name.replace(".parity", ""),
                                     "note": "inputs are random 8-bit values / 255; output = graph + skip, clamped, not rounded"})
    return diff


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("--out-dir", type=Path, default=MODELS)
    ap.add_argument("--name", help="file stem (default restore-x<scale>)")
    a = ap.parse_args()
    model, ck = load_checkpoint(a.checkpoint)
    stem = a.name or f"restore-x{model.scale}"
    a.out_dir.mkdir(parents=True, exist_ok=True)
    path = a.out_dir / f"{stem}.safetensors"
    arch, tensors = export(model, ck, path, stem)
    diff = parity(model, arch, tensors, a.out_dir / f"{stem}.parity.safetensors")
    # read back and check
    t2, meta = read_safetensors(path)
    assert meta["format"] == "loupe-restoration/1" and set(t2) == set(tensors)
    params = sum(v.size for v in tensors.values())
    print(f"wrote {path} ({path.stat().st_size} bytes, {params} parameters, "
          f"{model.macs_per_pixel()} MAC/low-res pixel = {model.macs_per_pixel() * 640 * 360 / 1e9:.3f} GMAC per 640x360 frame); "
          f"parity: training net vs graph max diff {diff:.2e}")


if __name__ == "__main__":
    main()
