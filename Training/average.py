"""Averages the weights of exported models of the same architecture (a "model soup", Wortsman et
al., 2022) and exports the average like export.py does: the model file plus its parity fixture.

The models should share their starting point (e.g. several continuations of the shipped model
with different seeds): then their average usually lies in the same basin and scores at least as
well as each of them. The averaged tensors are the merged (inference) convolutions, PReLU slopes
and quantizer conditioning; every one of them enters the network linearly per layer, so averaging
them is averaging the layers.

  /usr/bin/python3 Training/average.py A.safetensors B.safetensors [--weights 0.5,0.5] \
      [--out-dir Sources/Restoration/Models]
"""
from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

import numpy as np

from common import read_safetensors
from export import MODELS, export, parity
from model import Restorer


def average(paths: list[Path], weights: list[float]) -> tuple[dict, dict[str, np.ndarray], list[dict]]:
    """(architecture, averaged tensors, each input's metadata); refuses models that differ in shape."""
    if len(paths) != len(weights) or len(paths) < 2:
        raise ValueError("average: give at least two models and one weight per model")
    total = float(sum(weights))
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError("average: weights must be non-negative with a positive sum")
    arch0, acc, metas = None, {}, []
    for path, w in zip(paths, weights):
        tensors, meta = read_safetensors(path)
        arch = json.loads(meta["architecture"])
        if arch0 is None:
            arch0 = arch
            acc = {k: np.zeros_like(v, np.float64) for k, v in tensors.items()}
        elif arch != arch0 or set(tensors) != set(acc):
            raise ValueError(f"average: {path} has a different architecture from {paths[0]}")
        for k, v in tensors.items():
            if v.shape != acc[k].shape:
                raise ValueError(f"average: {path}: {k} is {v.shape}, expected {acc[k].shape}")
            acc[k] += (w / total) * v.astype(np.float64)
        metas.append(meta)
    return arch0, {k: v.astype(np.float32) for k, v in acc.items()}, metas


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--weights", help="comma-separated, one per model (default: equal)")
    ap.add_argument("--out-dir", type=Path, default=MODELS)
    ap.add_argument("--name", help="file stem (default restore-x<scale>)")
    a = ap.parse_args()
    weights = [float(x) for x in a.weights.split(",")] if a.weights else [1.0] * len(a.models)
    try:
        arch, tensors, metas = average(a.models, weights)
        model = Restorer.from_exported(arch, tensors)
    except ValueError as e:
        raise SystemExit(str(e))
    stem = a.name or f"restore-x{model.scale}"
    a.out_dir.mkdir(parents=True, exist_ok=True)
    path = a.out_dir / f"{stem}.safetensors"
    parts = "; ".join(f"{w:g} × [{m.get('trained', '?')}]" for w, m in zip(weights, metas))
    ck = {"iters": 0, "minutes": 0, "args": {},
          "trained_note": f"{datetime.date.today().isoformat()}; weight average (Training/average.py) of {len(metas)} models: {parts}"}
    arch2, t2 = export(model, ck, path, stem)
    diff = parity(model, arch2, t2, a.out_dir / f"{stem}.parity.safetensors")
    worst = max(float(np.abs(t2[k] - tensors[k]).max()) for k in tensors)
    print(f"wrote {path}: the weighted average of {len(a.models)} models (weights {weights}); "
          f"re-export differs by {worst:.1e}; parity {diff:.2e}")


if __name__ == "__main__":
    main()
