"""Fast checks of Training/ (< 1 min): re-parameterisation is exact, the skip is the node's
bicubic bit for bit, the safetensors writer follows the spec, the exported graph equals the model.

  /usr/bin/python3 -m pytest -q Training/tests
"""
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import bicubic2x, read_safetensors, read_y4m, write_safetensors, write_y4m  # noqa: E402
from model import QUANTIZER_SPEC, RepConv3, Restorer, normalized_quantizer, pixel_skip_bicubic, run_graph  # noqa: E402


def randomize(m: torch.nn.Module, seed=0):
    g = torch.Generator().manual_seed(seed)
    for p in m.parameters():
        p.data += torch.randn(p.shape, generator=g) * 0.1


@pytest.mark.parametrize("cin,cout", [(1, 16), (16, 16), (16, 4), (2, 8)])
def test_repconv_merged_equals_branches(cin, cout):
    m = RepConv3(cin, cout)
    randomize(m)
    x = torch.randn(2, cin, 13, 17)
    a = m.forward_branches(x)
    b = m(x)
    assert (a - b).abs().max().item() < 1e-5
    # and the border really depends on the bias padding (a zero-padded 1×1 would differ)
    assert a.shape == (2, cout, 13, 17)


@pytest.mark.parametrize("temporal,scale", [(False, 2), (True, 2), (False, 1), (True, 1)])
def test_exported_graph_equals_training_network(temporal, scale):
    m = Restorer(8, 2, scale, temporal)
    randomize(m, 1)
    lr = torch.randint(0, 256, (1, 1, 12, 20)).float()
    pl = torch.randint(0, 256, (1, 1, 12, 20)).float()
    po = torch.rand(1, 1, 12 * scale, 20 * scale)
    ref, _ = m(lr, pl if temporal else None, po if temporal else None, branches=True)
    arch, tensors = m.export_graph()
    inputs = {"lr": lr / 255}
    if temporal:
        inputs["prev_lr"] = pl / 255
        inputs["prev_out"] = F.pixel_unshuffle(po, scale) if scale > 1 else po
    y = (run_graph(arch, tensors, inputs) + m.skip(lr)).clamp(0, 1)
    assert (y - ref).abs().max().item() < 1e-5
    # every tensor a node names exists with the node's shape
    for n in arch["nodes"]:
        if n["op"] == "conv2d":
            assert tensors[n["weight"]].shape == (n["out_channels"], n["in_channels"], n["kernel"], n["kernel"])
            assert tensors[n["bias"]].shape == (n["out_channels"],)
    assert arch["receptive_field"] == m.receptive_field()
    macs = sum(n["in_channels"] * n["out_channels"] * n["kernel"] ** 2 for n in arch["nodes"] if n["op"] == "conv2d")
    assert macs == m.macs_per_pixel()


def test_a_deeper_network_grows_from_a_shallower_one_unchanged():
    torch.manual_seed(5)
    small = Restorer(16, 2)
    with torch.no_grad():   # a trained-looking tail (a fresh one is zero: every network would agree)
        small.tail.k3.weight.normal_(0, 0.1)
    deep = Restorer(16, 3)
    assert deep.load_checkpoint_state(small.state_dict(), blocks=2) == 1
    lr = torch.randint(0, 256, (2, 1, 21, 17)).float()
    assert torch.equal(small(lr)[1], deep(lr)[1])
    # the new block is live: its weights get gradients
    deep(lr)[1].square().mean().backward()
    assert deep.body[2].k3.weight.grad.abs().sum() > 0


def test_quantizer_conditioning_starts_unchanged_exports_and_needs_q():
    torch.manual_seed(7)
    blind = Restorer(8, 2)
    randomize(blind, 2)
    cond = Restorer(8, 2, quantizer=True)
    assert cond.load_checkpoint_state(blind.state_dict(), blocks=2) == 0
    lr = torch.randint(0, 256, (2, 1, 14, 18)).float()
    q = torch.tensor([0.2, 0.9])
    assert torch.equal(blind(lr)[1], cond(lr, q=q)[1])        # the conditioning starts at zero
    randomize(cond, 3)
    arch, tensors = cond.export_graph()
    assert arch["quantizer"] == QUANTIZER_SPEC
    convs = [n for n in arch["nodes"] if n["op"] == "conv2d"]
    assert all(tensors[n["bias_quantizer"]].shape == (2, n["out_channels"]) for n in convs)
    y = (run_graph(arch, tensors, {"lr": lr / 255}, q) + cond.skip(lr)).clamp(0, 1)
    ref, _ = cond(lr, q=q, branches=True)
    assert (y - ref).abs().max().item() < 1e-5
    # each frame its own q: frame 0 alone at q 0.2 is the batch's frame 0
    assert torch.allclose(cond(lr[:1], q=q[:1])[1], cond(lr, q=q)[1][:1], atol=1e-4)
    assert not torch.allclose(cond(lr, q=torch.tensor([0.0, 0.0]))[1], cond(lr, q=q)[1])
    with pytest.raises(ValueError):
        cond(lr)
    with pytest.raises(ValueError):
        run_graph(arch, tensors, {"lr": lr / 255})
    assert normalized_quantizer(127, "vp8") == 1 and normalized_quantizer(0, "vp9") == 0


def test_shared_slopes_load_as_each_layers_mean_and_export_one_slope():
    torch.manual_seed(6)
    per_channel = Restorer(16, 2)
    with torch.no_grad():
        for act in [per_channel.head_act, *per_channel.acts]:
            act.weight.uniform_(-0.3, 1.0)
    shared = Restorer(16, 2, shared_slopes=True)
    assert shared.load_checkpoint_state(per_channel.state_dict(), blocks=2) == 0
    for mine, theirs in zip([shared.head_act, *shared.acts], [per_channel.head_act, *per_channel.acts]):
        assert mine.weight.shape == (1,)
        assert torch.allclose(mine.weight, theirs.weight.mean().reshape(1))
    assert torch.equal(shared.body[1].k3.weight, per_channel.body[1].k3.weight)
    arch, tensors = shared.export_graph()
    slopes = [tensors[n["weight"]] for n in arch["nodes"] if n["op"] == "prelu"]
    assert len(slopes) == 3 and all(t.shape == (1,) for t in slopes)
    lr = torch.randint(0, 256, (1, 1, 13, 11)).float()
    graph = run_graph(arch, tensors, {"lr": lr / 255.0})
    assert torch.allclose(graph, shared.residual(lr / 255.0), atol=1e-5)
    assert shared.config()["shared_slopes"] and Restorer(**shared.config()).acts[0].weight.shape == (1,)


def test_bicubic_known_values():
    # a step edge: weights (−3, 29, 111, −9)/128 per axis, rounded half up
    y = np.array([[0, 0, 255, 255]] * 4, np.uint8)
    out = bicubic2x(y)
    assert out.shape == (8, 8)
    # column 3 (odd phase of x=1): (−9·0 + 111·0 + 29·255 − 3·255)/128 = 51.8 → 52
    assert out[0, 3] == 52
    # column 4 (even phase of x=2): (−3·0 + 29·0 + 111·255 − 9·255)/128 = 203.2 → 203
    assert out[0, 4] == 203
    assert out[0, 0] == 0 and out[0, 7] == 255


def test_torch_skip_equals_numpy_bicubic():
    x = np.random.default_rng(3).integers(0, 256, (2, 19, 31)).astype(np.uint8)
    t = pixel_skip_bicubic(torch.from_numpy(x).float())
    assert np.array_equal((t.numpy() * 255).round().astype(np.uint8), bicubic2x(x))


def loupe_binary():
    p = os.environ.get("LOUPE")
    return p if p and Path(p).exists() else None


@pytest.mark.skipif(loupe_binary() is None, reason="set LOUPE=/path/to/loupe to compare with the node")
def test_bicubic_matches_loupe_restore(tmp_path):
    g = np.random.default_rng(4)
    frames = []
    for h, w in [(37, 50)]:
        for _ in range(2):
            frames.append((g.integers(0, 256, (h, w), dtype=np.uint8),
                           g.integers(0, 256, ((h + 1) // 2, (w + 1) // 2), dtype=np.uint8),
                           g.integers(0, 256, ((h + 1) // 2, (w + 1) // 2), dtype=np.uint8)))
    write_y4m(tmp_path / "in.y4m", frames)
    subprocess.run([loupe_binary(), "restore", str(tmp_path / "in.y4m"), str(tmp_path / "out.y4m"),
                    "--scale", "2", "--method", "bicubic"], check=True, capture_output=True)
    a, _ = read_y4m(tmp_path / "in.y4m")
    b, _ = read_y4m(tmp_path / "out.y4m")
    assert np.array_equal(bicubic2x(a), b)


def test_safetensors_layout(tmp_path):
    t = {"b.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "a.bias": np.array([1.5, -2], np.float32)}
    p = tmp_path / "m.safetensors"
    write_safetensors(p, t, {"format": "loupe-restoration/1", "architecture": "{}"})
    raw = p.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"format": "loupe-restoration/1", "architecture": "{}"}
    data = raw[8 + n:]
    # offsets are relative to the data section, contiguous, no trailing bytes
    spans = sorted(tuple(v["data_offsets"]) for k, v in header.items() if k != "__metadata__")
    assert spans[0][0] == 0 and spans[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert header["b.weight"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": header["b.weight"]["data_offsets"]}
    s, e = header["b.weight"]["data_offsets"]
    assert struct.unpack("<6f", data[s:e]) == (0, 1, 2, 3, 4, 5)
    back, meta = read_safetensors(p)
    assert np.array_equal(back["a.bias"], t["a.bias"]) and meta["format"] == "loupe-restoration/1"


def test_shipped_model_is_valid_if_present():
    models = Path(__file__).resolve().parents[2] / "Sources" / "Restoration" / "Models"
    path = models / "restore-x2.safetensors"
    if not path.exists():
        pytest.skip("no shipped model yet")
    tensors, meta = read_safetensors(path)
    arch = json.loads(meta["architecture"])
    assert meta["format"] == "loupe-restoration/1" and arch["scale"] == 2 and arch["skip"] == "bicubic"
    fix, _ = read_safetensors(models / "restore-x2.parity.safetensors")
    inputs = {k.split(".", 1)[1]: torch.from_numpy(v) for k, v in fix.items() if k.startswith("input.")}
    # a quantizer-conditioned model's fixture also holds the frame's normalized quantizer
    q = inputs.pop("quantizer", None)
    assert (q is not None) == ("quantizer" in arch)
    assert set(inputs) == {i["name"] for i in arch["inputs"]}
    lr_u8 = torch.round(inputs["lr"] * 255)
    y = (run_graph(arch, tensors, inputs, q) + pixel_skip_bicubic(lr_u8)).clamp(0, 1)
    assert (y - torch.from_numpy(fix["output"])).abs().max().item() < 1e-5
    assert path.stat().st_size < 200_000


def test_quality_table_groups_by_codec_and_size_and_names_the_baseline():
    import argparse
    from evaluate import table
    rows = [{"clip": c, "codec": codec, "size": size, "kbps": k, "achieved_kbps": k, "bicubic": 30.0,
             "restored": 30.0 + g, "gain": g}
            for codec, size in (("vp8", "640x360"), ("vp9", "640x360"), ("vp8", "320x180"))
            for c, g in (("a", 0.5), ("b", -0.1)) for k in (150, 400)]
    a = argparse.Namespace(loupe_model=True, skip_seconds=1.0, frame_step=1, model=Path("restore-x2.safetensors"))
    md = table(rows, a, 1.0, scale=2)
    # one table per codec × size, VP8 before VP9 and the larger size first
    headers = [line for line in md.splitlines() if line.startswith("| clip |")]
    assert headers == ["| clip | VP8 640x360 kbps | bicubic | restored | gain |",
                       "| clip | VP8 320x180 kbps | bicubic | restored | gain |",
                       "| clip | VP9 640x360 kbps | bicubic | restored | gain |"]
    assert "VP9 640x360: mean gain over bicubic **+0.20 dB** (min -0.10, max +0.50) over 4 points." in md
    assert "| **mean** | 150 | 30.00 | 30.20 | **+0.20** |" in md
    x1 = table(rows, a, 1.0, scale=1)
    assert "| clip | VP8 640x360 kbps | decoded | restored | gain |" in x1
    assert "mean gain over the decoded picture" in x1


def test_a_network_rebuilt_from_its_export_computes_the_same_and_trains():
    torch.manual_seed(7)
    m = Restorer(8, 3, 2, quantizer=True)
    randomize(m, 3)
    arch, tensors = m.export_graph()
    r = Restorer.from_exported(arch, tensors)
    assert r.config() == m.config()
    lr = torch.randint(0, 256, (2, 1, 15, 19)).float()
    q = torch.tensor([0.3, 0.8])
    assert (r(lr, q=q)[1] - m(lr, q=q)[1]).abs().max().item() < 1e-5
    # and its export is the original's (same graph, same tensors up to float error)
    arch2, tensors2 = r.export_graph()
    assert arch2 == arch and all(np.abs(tensors2[k] - tensors[k]).max() < 1e-5 for k in tensors)
    # every branch is live: the over-parameterisation trains as it did
    r(lr, q=q)[1].square().mean().backward()
    for blk in [r.head, *r.body, r.tail]:
        for p in (blk.k3.weight, blk.e3.weight, blk.edge_scale):
            assert p.grad.abs().sum() > 0
    # a temporal graph is refused with a reason, not mis-read
    with pytest.raises(ValueError, match="temporal"):
        Restorer.from_exported(*Restorer(8, 2, 2, temporal=True).export_graph())


def test_the_shipped_model_rebuilds_exactly():
    path = Path(__file__).resolve().parents[2] / "Sources/Restoration/Models/restore-x2.safetensors"
    tensors, meta = read_safetensors(path)
    arch = json.loads(meta["architecture"])
    r = Restorer.from_exported(arch, tensors)
    _, t2 = r.export_graph()
    assert set(t2) == set(tensors)
    assert max(float(np.abs(t2[k] - tensors[k]).max()) for k in tensors) < 1e-5



@pytest.mark.parametrize("tail", [True, False])
def test_block_grid_conditioning_starts_unchanged_exports_and_follows_the_frame(tail):
    torch.manual_seed(3)
    base = Restorer(8, 2, 2, quantizer=True)
    randomize(base, 1)
    arch, tensors = base.export_graph()
    # added to an exported network (train.py --init FILE --phase 16): starts as the file's network
    m = Restorer.from_exported(arch, tensors, phase=16, phase_tail=tail)
    assert m.phase == 16 and len(m.pbias) == 3 + (1 if tail else 0)
    lr = torch.randint(0, 256, (2, 1, 40, 52)).float()
    q = torch.tensor([0.2, 0.9])
    assert (m(lr, q=q)[1] - base(lr, q=q)[1]).abs().max().item() < 1e-5
    with torch.no_grad():
        for p in m.pbias:
            p.normal_(0, 0.2)
    y = m(lr, q=q)[1]
    assert (y - base(lr, q=q)[1]).abs().max().item() > 1e-2
    # the exported graph computes the same, and rebuilds with its block grid
    arch2, t2 = m.export_graph()
    assert sum(1 for n in arch2["nodes"] if n.get("bias_phase")) == len(m.pbias)
    assert all(t2[n["bias_phase"]].shape == (2, n["out_channels"], 16) for n in arch2["nodes"] if n.get("bias_phase"))
    g = run_graph(arch2, t2, {"lr": lr / 255}, q) + m.skip(lr)
    assert (g - y).abs().max().item() < 1e-5
    r = Restorer.from_exported(arch2, t2)
    assert (r.phase, r.phase_tail) == (16, tail) and (r(lr, q=q)[1] - y).abs().max().item() < 1e-5
    # a window of the frame run at its origin is the frame's output inside the window (the
    # node's tiles), and training patches carry their rows' and columns' grid phase the same way
    win = lr[:1, :, 11:33, 17:45]
    whole = run_graph(arch2, t2, {"lr": lr[:1] / 255}, q[:1])
    tile = run_graph(arch2, t2, {"lr": win / 255}, q[:1], origin=(11, 17))
    assert (tile[..., 8:-8, 8:-8] - whole[..., 30:58, 42:82]).abs().max().item() < 1e-5
    rows = ((11 + torch.arange(22)) % 16)[None]
    cols = ((17 + torch.arange(28)) % 16)[None]
    patch = m(win, q=q[:1], phase=(rows, cols))[1] - m.skip(win)
    assert (patch[..., 8:-8, 8:-8] - whole[..., 30:58, 42:82]).abs().max().item() < 1e-5


def test_quantizer_weight_conditioning_starts_unchanged_and_exports():
    torch.manual_seed(4)
    base = Restorer(8, 2, 2, quantizer=True)
    randomize(base, 2)
    arch, tensors = base.export_graph()
    m = Restorer.from_exported(arch, tensors, quantizer_weights=True)
    lr = torch.randint(0, 256, (2, 1, 20, 26)).float()
    q = torch.tensor([0.1, 0.95])
    assert (m(lr, q=q)[1] - base(lr, q=q)[1]).abs().max().item() < 1e-5
    with torch.no_grad():
        for p in m.qweight:
            p.normal_(0, 0.05)
    y = m(lr, q=q)[1]
    assert (y - base(lr, q=q)[1]).abs().max().item() > 1e-2
    arch2, t2 = m.export_graph()
    assert all(t2[n["weight_quantizer"]].shape == t2[n["weight"]].shape for n in arch2["nodes"] if n["op"] == "conv2d")
    # the graph at q equals a plain graph whose weights are weight + q·Δ
    g = run_graph(arch2, t2, {"lr": lr / 255}, q) + m.skip(lr)
    assert (g - y).abs().max().item() < 1e-5
    for b in range(2):
        folded = {k: v for k, v in t2.items()}
        for n in arch2["nodes"]:
            if n["op"] == "conv2d":
                folded[n["weight"]] = t2[n["weight"]] + float(q[b]) * t2[n["weight_quantizer"]]
        plain = run_graph(arch2 | {"nodes": [{k: v for k, v in n.items() if k != "weight_quantizer"} for n in arch2["nodes"]]},
                          folded, {"lr": lr[b:b + 1] / 255}, q[b:b + 1]) + m.skip(lr[b:b + 1])
        assert (plain - y[b:b + 1]).abs().max().item() < 1e-5
    r = Restorer.from_exported(arch2, t2)
    assert r.quantizer_weights and (r(lr, q=q)[1] - y).abs().max().item() < 1e-5
