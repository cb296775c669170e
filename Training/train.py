"""Trains the restoration network on CPU from the clips make_data.py built.

Each step takes a batch of random crops of short sequences (T frames at the same place) from the
degraded training clips, runs the network recurrently over them (temporal models get the previous
input and their own previous output, reset on the first frame exactly as the node does), and
minimises L1 + an edge (gradient) term against the original full-resolution luma. The learning
rate follows a cosine over the wall-clock budget (--minutes), so a run ends on time.

  /usr/bin/python3 Training/train.py --minutes 40 --out Training/runs/x2
"""
from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from common import DATA, bicubic2x, psnr, read_quantizers, read_safetensors, read_y4m
from model import Restorer, normalized_quantizer

# the gain loss's floor on a patch's MSE ([0,1] units; ≈ 1 grey level RMS): flat patches, where
# bicubic is already exact, neither divide by zero nor dominate the batch
GAIN_EPS = 1.5e-5
VAL_CLIPS = {"video-vtest-50", "doc-3", "photo-chelsea-soft"}   # kept out of the gradient steps
# a quantizer-conditioned network sees q = normalized_quantizer(VP8 quantizer index) (model.py)


def read_q(y4m: Path, n: int) -> np.ndarray:
    """Normalized per-frame quantizers from `loupe degrade --quantizers` (y4m.q); NaN when the
    clip has none (data built before they were recorded: only quantizer-free networks train)."""
    if not y4m.with_suffix(".q").exists():
        return np.full(n, np.nan, np.float32)
    return normalized_quantizer(read_quantizers(y4m)[:n], "vp8").astype(np.float32)


class Clips:
    def __init__(self, root: Path, names_filter=None, skip_first: int = 10, text_weight: float = 1.0):
        index = json.loads((root / "index.json").read_text())
        self.clips = []
        for m in index:
            if names_filter and not names_filter(m["name"]):
                continue
            d = root / m["name"]
            hr, _ = read_y4m(d / "hr.y4m")
            lrs = [read_y4m(d / v["file"])[0] for v in m["variants"]]
            n = min(len(hr), *(len(l) for l in lrs))
            qs = [read_q(d / v["file"], n) for v in m["variants"]]
            self.clips.append({"name": m["name"], "hr": hr[:n], "lrs": [l[:n] for l in lrs], "qs": qs,
                               "kbps": [v["kbps"] for v in m["variants"]], "bpp": [v["bpp"] for v in m["variants"]]})
        self.skip_first = skip_first
        # text is easy to gain on and would otherwise dominate the loss: the network then sharpens
        # everything and loses on soft natural pictures. Clips with text count less.
        text = lambda n: any(k in n for k in ("-slide", "-subtitle", "doc-"))
        self.weights = [text_weight if text(c["name"]) else 1.0 for c in self.clips]

    def batch(self, rng: random.Random, bs: int, T: int, P: int, M: int, scale: int = 2, period: int = 16):
        """→ lr [B,T,1,S,S] (uint8-valued floats), hr [B,T,1,sS,sS] in [0,1], loss offsets, q [B,T],
        and each window row's and column's frame coordinate mod `period` ([B,S] each: the codec's
        block grid, flipped with the picture)."""
        lr_b, hr_b, offs, q_b, rows_b, cols_b = [], [], [], [], [], []
        for _ in range(bs):
            S = P + 2 * M
            while True:
                c = rng.choices(self.clips, weights=self.weights)[0]
                v = rng.randrange(len(c["lrs"]))
                lr, hr = c["lrs"][v], c["hr"]
                n, h, w = lr.shape
                if h >= S and w >= S:
                    break
            t0 = rng.randint(min(self.skip_first, n - T), n - T)
            q_b.append(c["qs"][v][t0:t0 + T])
            # the loss region [ly, ly+P) may touch the frame's edges; the network's window
            # [y, y+S) is either M pixels wider on a side or stops at the frame's edge, so the
            # window's zero padding is exactly the frame's and the skip exact (edges included).
            ly = rng.randint(0, h - P)
            lx = rng.randint(0, w - P)
            y = min(max(ly - M, 0), h - S)
            x = min(max(lx - M, 0), w - S)
            oy, ox = ly - y, lx - x
            l = lr[t0:t0 + T, y:y + S, x:x + S]
            # target over the whole window (only the loss region [o, o+P) is scored)
            if scale == 2:
                g = hr[t0:t0 + T, 2 * y:2 * (y + S), 2 * x:2 * (x + S)]
            else:   # ×1 target: the box-downscaled original (libyuv's 2×2 box, rounded)
                hh = hr[t0:t0 + T, 2 * y:2 * (y + S), 2 * x:2 * (x + S)].astype(np.uint16)
                g = ((hh[:, 0::2, 0::2] + hh[:, 1::2, 0::2] + hh[:, 0::2, 1::2] + hh[:, 1::2, 1::2] + 2) >> 2).astype(np.uint8)
            rows, cols = (y + np.arange(S)) % period, (x + np.arange(S)) % period
            if rng.random() < 0.5:
                l, g = l[:, :, ::-1], g[:, :, ::-1]
                ox = S - P - ox
                cols = cols[::-1]
            if rng.random() < 0.5:
                l, g = l[:, ::-1], g[:, ::-1]
                oy = S - P - oy
                rows = rows[::-1]
            rows_b.append(rows.copy())
            cols_b.append(cols.copy())
            lr_b.append(np.ascontiguousarray(l))
            hr_b.append(np.ascontiguousarray(g))
            offs.append((oy, ox))
        lr_t = torch.from_numpy(np.stack(lr_b)).float().unsqueeze(2)   # [B,T,1,S,S]
        hr_t = torch.from_numpy(np.stack(hr_b)).float().unsqueeze(2) / 255.0
        phase = (torch.from_numpy(np.stack(rows_b)).long(), torch.from_numpy(np.stack(cols_b)).long())
        return lr_t, hr_t, offs, torch.from_numpy(np.stack(q_b)), phase


def grad_l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]
    return (dx(a) - dx(b)).abs().mean() + (dy(a) - dy(b)).abs().mean()


def run_sequence(model: Restorer, lr_seq: torch.Tensor, quantize_state: bool = True, q_seq=None, phase=None):
    """lr_seq: [B,T,1,h,w] uint8-valued floats, q_seq: [B,T] normalized quantizers → list of
    (clamped out, unclamped y) per frame."""
    outs = []
    prev_lr = prev_out = None
    for t in range(lr_seq.shape[1]):
        lr = lr_seq[:, t]
        out, y = model(lr, prev_lr, prev_out, q=None if q_seq is None else q_seq[:, t], phase=phase)
        outs.append((out, y))
        if model.temporal:
            prev_lr = lr
            prev_out = out + (torch.round(out * 255) / 255 - out).detach() if quantize_state else out
    return outs


@torch.no_grad()
def evaluate_clips(model: Restorer, clips: Clips, skip_first: int = 10) -> list[tuple[str, int, float, float]]:
    """Full-frame Y-PSNR of bicubic and of the model on each (clip, variant), frames ≥ skip_first."""
    model.eval()
    res = []
    for c in clips.clips:
        for v, lr in enumerate(c["lrs"]):
            hr = c["hr"]
            if model.scale == 2:
                bic = bicubic2x(lr)
            else:
                h4 = hr.astype(np.uint16)
                hr = ((h4[:, 0::2, 0::2] + h4[:, 1::2, 0::2] + h4[:, 0::2, 1::2] + h4[:, 1::2, 1::2] + 2) >> 2).astype(np.uint8)
                bic = lr
            seq = torch.from_numpy(lr).float()[None, :, None]
            outs = run_sequence(model, seq, q_seq=torch.from_numpy(c["qs"][v])[None] if model.quantizer else None)
            o = np.stack([(x[0][0, 0] * 255).add(0.5).floor().clamp(0, 255).byte().numpy() for x in outs])
            res.append((c["name"], c["kbps"][v], psnr(bic[skip_first:], hr[skip_first:]), psnr(o[skip_first:], hr[skip_first:])))
    model.train()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA / "full" / "train")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--blocks", type=int, default=2)
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--temporal", action="store_true")
    ap.add_argument("--shared-slopes", action="store_true",
                    help="one PReLU slope per layer (fused into the convolution at inference)")
    ap.add_argument("--seq", type=int, default=5, help="frames per training sequence (temporal)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--patch", type=int, default=48, help="low-res patch (loss area)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--edge", type=float, default=0.2, help="weight of the gradient loss")
    ap.add_argument("--loss", choices=["l1", "gain"], default="l1",
                    help="l1: L1 + edge term; gain: per-patch log(MSE model / MSE bicubic), i.e. minus the "
                         "patch's dB gain over bicubic (what the quality table averages), plus the edge term")
    ap.add_argument("--text-weight", type=float, default=0.4, help="sampling weight of clips with text")
    ap.add_argument("--init", type=Path, help="checkpoint (.pt) or exported model (.safetensors: the file's shape "
                                              "replaces --channels/--blocks/--scale/--quantizer) to start from")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quantizer", action="store_true",
                    help="condition every conv's bias on the frame's codec quantizer (needs the clips' .q files)")
    ap.add_argument("--quantizer-weights", action="store_true",
                    help="also condition every conv's weights on the quantizer (weight + q·Δ; needs --quantizer "
                         "or an --init file that has it)")
    ap.add_argument("--quantizer-weight-lr", type=float, default=3.0,
                    help="learning-rate multiple of the weights' quantizer conditioning (it starts at zero)")
    ap.add_argument("--phase", type=int, default=0,
                    help="condition every conv's bias on the pixel's place in the codec's block grid, with this "
                         "period (16: VP8's macroblock); 0: no (a file given to --init that has one keeps it)")
    ap.add_argument("--phase-no-tail", action="store_true", help="block-grid conditioning on the 16-channel layers only")
    ap.add_argument("--quantizer-lr", type=float, default=10.0,
                    help="learning-rate multiple of the quantizer conditioning (it starts at zero)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    a.out.mkdir(parents=True, exist_ok=True)
    t_load = time.time()
    train = Clips(a.data, lambda n: n not in VAL_CLIPS, text_weight=a.text_weight)
    val = Clips(a.data, lambda n: n in VAL_CLIPS)
    print(f"data: {len(train.clips)} train clips, {len(val.clips)} val clips, loaded in {time.time() - t_load:.0f} s", flush=True)

    from_export = a.init is not None and a.init.suffix == ".safetensors"
    if not from_export:
        model = Restorer(a.channels, a.blocks, a.scale, a.temporal, a.shared_slopes, a.quantizer,
                         a.phase, not a.phase_no_tail, a.quantizer_weights)
    else:
        # an exported model (e.g. the shipped one): its merged graph becomes the starting network,
        # whose shape then decides --channels/--blocks/--scale/--quantizer
        tensors, meta = read_safetensors(a.init)
        model = Restorer.from_exported(json.loads(meta["architecture"]), tensors, a.phase, not a.phase_no_tail,
                                       a.quantizer_weights)
        cfg = model.config()
        a.channels, a.blocks, a.scale, a.shared_slopes, a.quantizer = (
            cfg["channels"], cfg["blocks"], cfg["scale"], cfg["shared_slopes"], cfg["quantizer"])
        a.phase, a.quantizer_weights = cfg["phase"], cfg["quantizer_weights"]
        print(f"init: {a.init.name}, config {cfg}", flush=True)
    if a.quantizer and any(np.isnan(q).any() for c in train.clips + val.clips for q in c["qs"]):
        raise SystemExit("--quantizer: some clips have no .q file; rebuild the data with make_data.py")
    iters_before = 0
    if a.init and not from_export:
        ck = torch.load(a.init)
        grown = model.load_checkpoint_state(ck["model"], ck.get("config", {}).get("blocks", model.blocks))
        iters_before = ck.get("iters", 0)
        if grown:
            print(f"init: {grown} new block(s) start as the identity", flush=True)
    qparams = (list(model.qbias.parameters()) if a.quantizer else []) + (list(model.pbias.parameters()) if a.phase else [])
    others = [p for p in model.parameters() if all(p is not q for q in qparams)]
    wparams = list(model.qweight.parameters()) if a.quantizer_weights else []
    others = [p for p in others if all(p is not w for w in wparams)]
    groups = [{"params": others, "mult": 1.0}] + ([{"params": qparams, "mult": a.quantizer_lr}] if qparams else []) \
        + ([{"params": wparams, "mult": a.quantizer_weight_lr}] if wparams else [])
    opt = torch.optim.Adam(groups, lr=a.lr)
    T = a.seq if a.temporal else 1
    M = model.receptive_field()   # context each side: the loss sees exact skip and full receptive field
    budget = a.minutes * 60
    start = time.time()
    it = 0
    log = open(a.out / "train.log", "a")
    ema = None
    last_ck = start

    def save(tag="ckpt"):
        torch.save({"model": model.state_dict(), "config": model.config(), "iters": iters_before + it,
                    "minutes": (time.time() - start) / 60, "args": {k: str(v) for k, v in vars(a).items()}},
                   a.out / f"{tag}.pt")

    while True:
        el = time.time() - start
        if el >= budget:
            break
        frac = el / budget
        lr_now = a.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac))) * min(1.0, (it + 1) / 100)
        for g in opt.param_groups:
            g["lr"] = lr_now * g["mult"]
        lr_seq, hr_seq, offs, q_seq, phase = train.batch(rng, a.batch, T, a.patch, M, a.scale, max(a.phase, 1))
        outs = run_sequence(model, lr_seq, q_seq=q_seq if a.quantizer else None, phase=phase if a.phase else None)
        s, P = a.scale, a.patch
        loss = 0.0
        for t, (_, y) in enumerate(outs):
            crop = lambda z: torch.stack([z[b, :, s * oy:s * (oy + P), s * ox:s * (ox + P)] for b, (oy, ox) in enumerate(offs)])
            yc = crop(y)
            g = crop(hr_seq[:, t])
            if a.loss == "gain":
                bic = crop(model.skip(lr_seq[:, t]))
                mse_m = ((yc - g) ** 2).mean((1, 2, 3))
                mse_b = ((bic - g) ** 2).mean((1, 2, 3))
                loss = loss + (torch.log(mse_m + GAIN_EPS) - torch.log(mse_b + GAIN_EPS)).mean() + a.edge * grad_l1(yc, g)
            else:
                loss = loss + (yc - g).abs().mean() + a.edge * grad_l1(yc, g)
        loss = loss / len(outs)
        opt.zero_grad()
        loss.backward()
        opt.step()
        it += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if it % 50 == 0:
            shown = f"gain {-ema * 10 / math.log(10):+.3f} dB" if a.loss == "gain" else f"loss {ema * 255:.3f}"
            msg = f"it {iters_before + it} t {el / 60:.1f} min lr {lr_now:.2e} {shown}"
            print(msg, flush=True)
            log.write(msg + "\n")
            log.flush()
        if time.time() - last_ck > 300:
            save()
            last_ck = time.time()
    save()
    res = evaluate_clips(model, val)
    gains = [r[3] - r[2] for r in res]
    for r in res:
        line = f"val {r[0]} {r[1]} kbps: bicubic {r[2]:.2f} model {r[3]:.2f} dB ({r[3] - r[2]:+.2f})"
        print(line)
        log.write(line + "\n")
    # per clip too: a text clip gains several dB and dominates the mean, so compare models clip by clip
    by_clip = {}
    for r in res:
        by_clip.setdefault(r[0], []).append(r[3] - r[2])
    by_clip = {k: float(np.mean(v)) for k, v in by_clip.items()}
    line = f"done: {iters_before + it} iterations, {(time.time() - start) / 60:.1f} min; val mean gain {np.mean(gains):+.3f} dB"
    line += "; by clip " + ", ".join(f"{k} {v:+.3f}" for k, v in by_clip.items())
    print(line)
    log.write(line + "\n")
    (a.out / "summary.json").write_text(json.dumps({"iters": iters_before + it, "minutes": (time.time() - start) / 60,
                                                    "val_gain_db": float(np.mean(gains)), "val_gain_by_clip_db": by_clip,
                                                    "config": model.config(),
                                                    "args": {k: str(v) for k, v in vars(a).items()}}, indent=1))


if __name__ == "__main__":
    main()
