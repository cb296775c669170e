"""The restoration network: a tiny luma CNN with re-parameterizable (ECBSR / RepVGG style) blocks.

Training-time block (`RepConv3`): in parallel a 3×3 conv, a 1×1→3×3 pair, 1×1→Sobel-x,
1×1→Sobel-y and 1×1→Laplacian edge branches (fixed masks, learnable per-channel scales), and an
identity when in == out channels. All branches are linear, so they merge exactly into ONE 3×3 conv
with bias (`merged()`); inference and export only ever see that conv. The 1×1 outputs are padded
with their bias (not zero) before the following 3×3, which is what makes the merge exact at the
borders too.

Training runs the merged kernel computed on the fly from the branch parameters (same function,
the cost of one conv; the gradients still reach every branch, which is the point of the
over-parameterisation). `forward_branches` runs the branches literally; the tests check both agree.

Network (`Restorer`):
    lr [,prev_lr]  ──RepConv3──┐
    prev_out (unshuffled) ─1×1─┴─ add ─ PReLU ─ (RepConv3 ─ PReLU) × N ─ RepConv3 → scale² ch
    ─ pixel_shuffle(scale) ─ + bicubic(lr)  ─ clamp[0,1]
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# How a quantizer-conditioned network reads the decoder's quantizer index (docs/model-format.md):
# q = clamp(slope · index + intercept, 0, 127) / 127 with the codec's line. VP8's is the identity
# (it trained on VP8 only); VP9's is measured by quantizer_map.py on training clips (same decoded
# PSNR), 84 pairs, RMS error 12 VP8 steps.
# "default" (frames whose quantizer is unknown): the median over the training frames (VP8 106 of 127).
QUANTIZER_SPEC = {"source": "decoder quantizer index", "range": 127.0,
                  "codecs": {"vp8": [1.0, 0.0], "vp9": [0.8201, -87.91]}, "default": 0.8346}


def normalized_quantizer(index, codec: str):
    slope, intercept = QUANTIZER_SPEC["codecs"][codec]
    return np.clip(np.asarray(index, np.float64) * slope + intercept, 0, QUANTIZER_SPEC["range"]) / QUANTIZER_SPEC["range"]


SOBEL_X = torch.tensor([[1., 0., -1.], [2., 0., -2.], [1., 0., -1.]])
SOBEL_Y = SOBEL_X.t().contiguous()
LAPLACE = torch.tensor([[0., 1., 0.], [1., -4., 1.], [0., 1., 0.]])


class RepConv3(nn.Module):
    """An edge-oriented re-parameterizable 3×3 conv (Zhang et al., ECBSR, 2021; Ding et al., RepVGG)."""

    def __init__(self, cin: int, cout: int, expand: int = 2, identity: bool | None = None):
        super().__init__()
        self.cin, self.cout = cin, cout
        mid = max(cout * expand, 8)
        self.k3 = nn.Conv2d(cin, cout, 3, padding=1)
        self.e1 = nn.Conv2d(cin, mid, 1)
        self.e3 = nn.Conv2d(mid, cout, 3)
        self.edge1 = nn.ModuleList([nn.Conv2d(cin, cout, 1) for _ in range(3)])
        self.edge_scale = nn.Parameter(torch.randn(3, cout) * 1e-3)
        self.edge_bias = nn.Parameter(torch.zeros(3, cout))
        self.register_buffer("masks", torch.stack([SOBEL_X, SOBEL_Y, LAPLACE]), persistent=False)
        self.identity = (cin == cout) if identity is None else identity
        nn.init.kaiming_normal_(self.k3.weight, nonlinearity="linear")
        self.k3.weight.data *= 0.5

    @torch.no_grad()
    def start_as_identity(self):
        """Every branch zero, so the merged conv is the identity branch alone (cin == cout)."""
        assert self.identity
        for t in (self.k3.weight, self.k3.bias, self.e3.weight, self.e3.bias, self.edge_scale, self.edge_bias):
            t.zero_()

    # -- the merged conv --------------------------------------------------------------------
    def merged(self) -> tuple[torch.Tensor, torch.Tensor]:
        w = self.k3.weight
        b = self.k3.bias
        # 1×1 → 3×3: K[o,i] = Σ_m W3[o,m] W1[m,i]; bias through the 3×3 of the padded-by-bias map
        w1 = self.e1.weight[:, :, 0, 0]                      # [mid, cin]
        w = w + torch.einsum("omhw,mi->oihw", self.e3.weight, w1)
        b = b + self.e3.bias + torch.einsum("omhw,m->o", self.e3.weight, self.e1.bias)
        # 1×1 → fixed mask · scale
        for k in range(3):
            conv = self.edge1[k]
            s = self.edge_scale[k]                           # [cout]
            m = self.masks[k]                                # [3,3]
            w = w + (s[:, None, None, None] * conv.weight) * m[None, None]
            b = b + s * m.sum() * conv.bias + self.edge_bias[k]
        if self.identity:
            eye = torch.zeros_like(w)
            idx = torch.arange(self.cout)
            eye[idx, idx, 1, 1] = 1.0
            w = w + eye
        return w, b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, b = self.merged()
        return F.conv2d(x, w, b, padding=1)

    # -- the literal branches (for the equivalence test) ------------------------------------
    @staticmethod
    def _pad_with(y: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        bb = bias.view(1, -1, 1, 1)
        return F.pad(y - bb, (1, 1, 1, 1)) + bb

    def forward_branches(self, x: torch.Tensor) -> torch.Tensor:
        y = self.k3(x)
        y = y + self.e3(self._pad_with(self.e1(x), self.e1.bias))
        for k in range(3):
            t = self._pad_with(self.edge1[k](x), self.edge1[k].bias)
            dw = (self.edge_scale[k][:, None, None, None] * self.masks[k][None, None]).expand(self.cout, 1, 3, 3)
            y = y + F.conv2d(t, dw, self.edge_bias[k], groups=self.cout)
        if self.identity:
            y = y + x
        return y


def pixel_skip_bicubic(lr_u8: torch.Tensor) -> torch.Tensor:
    """The node's exact ×2 bicubic (Keys a=−0.5) on uint8-valued tensors [..., H, W] → float in
    [0,1], bit-identical to `loupe restore --method bicubic` / 255 (see common.bicubic2x)."""
    x = lr_u8.to(torch.float64)
    shp = x.shape
    x = x.reshape(-1, 1, shp[-2], shp[-1])
    even = torch.tensor([-3., 29., 111., -9.], dtype=torch.float64)
    odd = torch.tensor([-9., 111., 29., -3.], dtype=torch.float64)
    # vertical: pad 2 rows each side by replication; even rows use i-2..i+1, odd i-1..i+2
    xp = F.pad(x, (0, 0, 2, 2), mode="replicate")
    ke = F.pad(even, (0, 1)).view(1, 1, 5, 1)
    ko = F.pad(odd, (1, 0)).view(1, 1, 5, 1)
    v = torch.stack([F.conv2d(xp, ke), F.conv2d(xp, ko)], dim=3)   # [B,1,H,2,W]
    v = v.reshape(x.shape[0], 1, 2 * shp[-2], shp[-1])
    vp = F.pad(v, (2, 2, 0, 0), mode="replicate")
    he = ke.view(1, 1, 1, 5)
    ho = ko.view(1, 1, 1, 5)
    h = torch.stack([F.conv2d(vp, he), F.conv2d(vp, ho)], dim=4)   # [B,1,2H,W,2]
    h = h.reshape(x.shape[0], 1, 2 * shp[-2], 2 * shp[-1])
    out = torch.clamp(torch.floor((h + 8192.0) / 16384.0), 0, 255)
    return (out / 255.0).to(torch.float32).reshape(*shp[:-2], 2 * shp[-2], 2 * shp[-1])


class Restorer(nn.Module):
    """scale 2: repair + ×2; scale 1: repair only. temporal: also takes prev_lr and prev_out."""

    def __init__(self, channels: int = 16, blocks: int = 2, scale: int = 2, temporal: bool = False,
                 shared_slopes: bool = False, quantizer: bool = False, phase: int = 0, phase_tail: bool = True,
                 quantizer_weights: bool = False):
        super().__init__()
        self.channels, self.blocks, self.scale, self.temporal = channels, blocks, scale, temporal
        # Conditioning on the frame's codec quantizer (q = VP8 quantizer index / 127): every conv's
        # bias moves by q·u + q²·v (u, v learned per output channel). At inference that is one
        # bias per frame, no extra MACs; the PReLUs turn the shifts into a change of what the
        # network does (repair coarse frames, leave clean soft ones alone).
        self.quantizer = quantizer
        # One PReLU slope per layer instead of one per channel: oneDNN's AVX2 convolution then
        # runs the activation as its fused eltwise post-op (ReLU with a negative slope) instead of
        # a separate pass over the feature map (docs/model-card.md).
        self.shared_slopes = shared_slopes
        slopes = 1 if shared_slopes else channels
        cin = 2 if temporal else 1
        self.head = RepConv3(cin, channels)
        if temporal:
            self.prev = nn.Conv2d(scale * scale, channels, 1)
            nn.init.zeros_(self.prev.weight)
            nn.init.zeros_(self.prev.bias)
        self.head_act = nn.PReLU(slopes, init=0.1)
        self.body = nn.ModuleList([RepConv3(channels, channels) for _ in range(blocks)])
        self.acts = nn.ModuleList([nn.PReLU(slopes, init=0.1) for _ in range(blocks)])
        self.tail = RepConv3(channels, scale * scale)
        if quantizer:
            outs = [channels] * (1 + blocks) + [scale * scale]
            self.qbias = nn.ParameterList([nn.Parameter(torch.zeros(2, n)) for n in outs])
        # Block-grid phase (`phase` = period P, e.g. 16: VP8's macroblock, four 4×4 transforms):
        # every conv's bias moves by row[c, y mod P] + column[c, x mod P] (frame coordinates), so
        # the network knows where the codec's block edges are (a 3×3 receptive field cannot tell
        # from the pixels). Starts at zero; costs an add per output value at inference.
        # Weights conditioned on the quantizer too (`quantizer_weights`): each conv's kernel is
        # weight + q·Δ (Δ learned, starts at zero). At inference the node recomputes the few
        # thousand weights when q changes: no extra multiply-accumulates per pixel.
        self.quantizer_weights = quantizer_weights
        if quantizer_weights:
            if not quantizer:
                raise ValueError("quantizer_weights needs quantizer")
            shapes = [(channels, cin)] + [(channels, channels)] * blocks + [(scale * scale, channels)]
            self.qweight = nn.ParameterList([nn.Parameter(torch.zeros(o, i, 3, 3)) for o, i in shapes])
        self.phase, self.phase_tail = phase, phase_tail
        if phase:
            outs = [channels] * (1 + blocks) + ([scale * scale] if phase_tail else [])
            self.pbias = nn.ParameterList([nn.Parameter(torch.zeros(2, n, phase)) for n in outs])
        nn.init.zeros_(self.tail.k3.weight)   # start as the plain skip
        self.tail.edge_scale.data.zero_()
        for m in (self.tail.e3,):
            nn.init.zeros_(m.weight)

    def load_checkpoint_state(self, state: dict, blocks: int) -> int:
        """Loads a checkpoint of a network with `blocks` body blocks (≤ this one's). A deeper
        network grows from a shallower one: its extra blocks (last in the body) start as the
        identity (merged conv = I, PReLU slope 1), so it computes the same function at first.
        A checkpoint with one slope per channel loads into a network with shared slopes as each
        layer's mean slope. Returns the number of blocks added."""
        state = dict(state)
        own = self.state_dict()
        for key, value in state.items():
            if key in own and value.dim() == 1 and own[key].shape != value.shape and own[key].numel() == 1:
                state[key] = value.mean().reshape(1)
        missing, unexpected = self.load_state_dict(state, strict=False)
        if unexpected or (blocks == self.blocks and any(not k.startswith(("qbias.", "pbias.", "qweight.")) for k in missing)):
            raise RuntimeError(f"checkpoint does not fit: missing {missing}, unexpected {unexpected}")
        grown = self.blocks - blocks
        for blk, act in list(zip(self.body, self.acts))[self.blocks - grown:] if grown > 0 else []:
            blk.start_as_identity()
            act.weight.data.fill_(1.0)
        return max(grown, 0)

    @classmethod
    def from_exported(cls, arch: dict, tensors: dict, phase: int = 0, phase_tail: bool = True,
                      quantizer_weights: bool = False) -> "Restorer":
        """A training network that computes exactly what an exported (merged) graph does, so a
        shipped `.safetensors` can be trained further without its checkpoint. Each RepConv3's
        branches keep a fresh initialisation (so they all still get gradients) and its 3×3 branch
        absorbs the difference to the exported kernel; PReLU slopes and the quantizer conditioning
        are copied, and so is a block-grid conditioning; a file without one gets a zero one of
        period `phase` when that is given (the network still starts as the file's)."""
        convs = {n["weight"].rsplit(".", 1)[0]: n for n in arch["nodes"] if n["op"] == "conv2d"}
        if "prev" in convs or any(i["name"] == "prev_lr" for i in arch["inputs"]):
            raise ValueError("from_exported: temporal networks are not supported")
        body = sorted(int(k[4:]) for k in convs if k.startswith("body"))
        if body != list(range(len(body))) or set(convs) != {"head", "tail"} | {f"body{i}" for i in body}:
            raise ValueError(f"from_exported: unexpected graph {sorted(convs)}")
        slopes = tensors["head.alpha"].size
        phased = [k for k in ["head"] + [f"body{i}" for i in body] + ["tail"] if convs[k].get("bias_phase")]
        m = cls(convs["head"]["out_channels"], len(body), arch["scale"], False,
                shared_slopes=slopes == 1 and convs["head"]["out_channels"] > 1,
                quantizer="quantizer" in arch,
                phase=tensors[f"{phased[0]}.bias_phase"].shape[-1] if phased else phase,
                phase_tail="tail" in phased if phased else phase_tail,
                quantizer_weights=quantizer_weights or any(n.get("weight_quantizer") for n in convs.values()))
        if phased and phased != (["head"] + [f"body{i}" for i in body] + ["tail"])[:len(phased)]:
            raise ValueError(f"from_exported: block-grid conditioning on {phased}, expected head first, in order")
        mods = [("head", m.head)] + [(f"body{i}", b) for i, b in enumerate(m.body)] + [("tail", m.tail)]
        T = lambda name: torch.from_numpy(np.asarray(tensors[name], np.float32))
        with torch.no_grad():
            for layer, (name, mod) in enumerate(mods):
                w, b = T(f"{name}.weight"), T(f"{name}.bias")
                if w.shape != mod.k3.weight.shape:
                    raise ValueError(f"from_exported: {name}.weight is {tuple(w.shape)}, expected {tuple(mod.k3.weight.shape)}")
                mw, mb = mod.merged()
                mod.k3.weight += w - mw
                mod.k3.bias += b - mb
                if m.quantizer:
                    m.qbias[layer].copy_(T(f"{name}.bias_quantizer"))
                if m.quantizer_weights and f"{name}.weight_quantizer" in tensors:
                    m.qweight[layer].copy_(T(f"{name}.weight_quantizer"))
                if phased and layer < len(m.pbias):
                    m.pbias[layer].copy_(T(f"{name}.bias_phase"))
            for act, name in zip([m.head_act] + list(m.acts), ["head"] + [f"body{i}" for i in body]):
                act.weight.copy_(T(f"{name}.alpha").reshape(act.weight.shape))
        return m

    def bias_shift(self, layer: int, q: torch.Tensor | None) -> torch.Tensor | float:
        """The quantizer conditioning of conv `layer` (0 head, 1… body, last tail): [B,C,1,1]."""
        if not self.quantizer:
            return 0.0
        if q is None:
            raise ValueError("this network is conditioned on the quantizer: pass q")
        u, v = self.qbias[layer]
        q = q.reshape(-1, 1)
        return (q * u + q * q * v)[:, :, None, None]

    def weight_shift(self, layer: int, x: torch.Tensor, q: torch.Tensor | None):
        """conv(x, q·Δ) of conv `layer` (networks with quantizer_weights), per sample's q."""
        if not self.quantizer_weights:
            return 0.0
        return F.conv2d(x * q.reshape(-1, 1, 1, 1).to(x.dtype), self.qweight[layer], padding=1)

    def phase_shift(self, layer: int, rows: torch.Tensor | None, cols: torch.Tensor | None):
        """The block-grid conditioning of conv `layer`: rows [B,H], cols [B,W] are each pixel's
        frame coordinate mod the period (None: frame coordinates from 0) → [B,C,H,W] (broadcast)."""
        if not self.phase or layer >= len(self.pbias):
            return 0.0
        pb = self.pbias[layer]
        return pb[0][:, rows].permute(1, 0, 2)[..., None] + pb[1][:, cols].permute(1, 0, 2)[:, :, None, :]

    def default_phase(self, lr: torch.Tensor):
        b, h, w = lr.shape[0], lr.shape[-2], lr.shape[-1]
        rows = (torch.arange(h) % max(self.phase, 1)).expand(b, h)
        cols = (torch.arange(w) % max(self.phase, 1)).expand(b, w)
        return rows, cols

    def residual(self, lr, prev_lr=None, prev_out_unshuffled=None, branches: bool = False, q=None, phase=None):
        conv = (lambda m, x: m.forward_branches(x)) if branches else (lambda m, x: m(x))
        x = torch.cat([lr, prev_lr], 1) if self.temporal else lr
        rows, cols = (phase if phase is not None else self.default_phase(lr)) if self.phase else (None, None)
        h = conv(self.head, x) + self.bias_shift(0, q) + self.phase_shift(0, rows, cols) + self.weight_shift(0, x, q)
        if self.temporal:
            h = h + self.prev(prev_out_unshuffled)
        h = self.head_act(h)
        for i, (blk, act) in enumerate(zip(self.body, self.acts)):
            h = act(conv(blk, h) + self.bias_shift(1 + i, q) + self.phase_shift(1 + i, rows, cols)
                    + self.weight_shift(1 + i, h, q))
        h = (conv(self.tail, h) + self.bias_shift(1 + self.blocks, q) + self.phase_shift(1 + self.blocks, rows, cols)
             + self.weight_shift(1 + self.blocks, h, q))
        return F.pixel_shuffle(h, self.scale) if self.scale > 1 else h

    def skip(self, lr_u8: torch.Tensor) -> torch.Tensor:
        if self.scale == 2:
            return pixel_skip_bicubic(lr_u8)
        return lr_u8.to(torch.float32) / 255.0

    def forward(self, lr_u8, prev_lr_u8=None, prev_out=None, branches: bool = False, q=None, phase=None):
        """lr_u8: [B,1,h,w] uint8-valued; prev_out: [B,1,h·s,w·s] in [0,1] (None: first frame);
        q: [B] the frames' normalized quantizer (quantizer-conditioned networks only).
        Returns (output in [0,1], unclamped residual + skip)."""
        lr = lr_u8.to(torch.float32) / 255.0
        skip = self.skip(lr_u8)
        pl = pu = None
        if self.temporal:
            pl = lr if prev_lr_u8 is None else prev_lr_u8.to(torch.float32) / 255.0
            po = skip if prev_out is None else prev_out
            pu = F.pixel_unshuffle(po, self.scale) if self.scale > 1 else po
        y = self.residual(lr, pl, pu, branches=branches, q=q, phase=phase) + skip
        return y.clamp(0, 1), y

    # -- inference graph (docs/model-format.md) ----------------------------------------------
    def receptive_field(self) -> int:
        return 2 + self.blocks   # head + blocks + tail, one pixel each

    def macs_per_pixel(self) -> int:  # (the quantizer's weight shift is folded in per frame: none)
        c, s = self.channels, self.scale
        cin = 2 if self.temporal else 1
        m = cin * c * 9 + self.blocks * c * c * 9 + c * s * s * 9
        if self.temporal:
            m += s * s * c
        return m

    @torch.no_grad()
    def export_graph(self):
        """(architecture dict, tensors dict of numpy float32) of the merged inference network."""
        tensors, nodes = {}, []
        c, s = self.channels, self.scale

        def conv(name, mod, inp, out, cin, cout, layer=None):
            if isinstance(mod, RepConv3):
                w, b = mod.merged()
                k = 3
            else:
                w, b = mod.weight, mod.bias
                k = w.shape[-1]
            tensors[f"{name}.weight"] = w.detach().cpu().numpy()
            tensors[f"{name}.bias"] = b.detach().cpu().numpy()
            node = {"op": "conv2d", "input": inp, "output": out, "weight": f"{name}.weight",
                    "bias": f"{name}.bias", "kernel": k, "in_channels": cin, "out_channels": cout}
            if self.quantizer and layer is not None:
                # bias + q·row 0 + q²·row 1, q the frame's normalized quantizer
                tensors[f"{name}.bias_quantizer"] = self.qbias[layer].detach().cpu().numpy()
                node["bias_quantizer"] = f"{name}.bias_quantizer"
            if self.quantizer_weights and layer is not None:
                # weight + q·this (q the frame's normalized quantizer)
                tensors[f"{name}.weight_quantizer"] = self.qweight[layer].detach().cpu().numpy()
                node["weight_quantizer"] = f"{name}.weight_quantizer"
            if self.phase and layer is not None and layer < len(self.pbias):
                # + row 0[c, y mod P] + row 1[c, x mod P], (y, x) the frame coordinate
                tensors[f"{name}.bias_phase"] = self.pbias[layer].detach().cpu().numpy()
                node["bias_phase"] = f"{name}.bias_phase"
            nodes.append(node)

        inputs = [{"name": "lr", "channels": 1}]
        if self.temporal:
            inputs += [{"name": "prev_lr", "channels": 1}, {"name": "prev_out", "channels": s * s}]
            nodes.append({"op": "concat", "inputs": ["lr", "prev_lr"], "output": "x"})
            conv("head", self.head, "x", "h0c", 2, c, 0)
            conv("prev", self.prev, "prev_out", "h0p", s * s, c)
            nodes.append({"op": "add", "inputs": ["h0c", "h0p"], "output": "h0"})
        else:
            conv("head", self.head, "lr", "h0", 1, c, 0)
        tensors["head.alpha"] = self.head_act.weight.detach().cpu().numpy()
        nodes.append({"op": "prelu", "input": "h0", "output": "a0", "weight": "head.alpha"})
        cur = "a0"
        for i, (blk, act) in enumerate(zip(self.body, self.acts)):
            conv(f"body{i}", blk, cur, f"h{i + 1}", c, c, 1 + i)
            tensors[f"body{i}.alpha"] = act.weight.detach().cpu().numpy()
            nodes.append({"op": "prelu", "input": f"h{i + 1}", "output": f"a{i + 1}", "weight": f"body{i}.alpha"})
            cur = f"a{i + 1}"
        conv("tail", self.tail, cur, "t", c, s * s, 1 + self.blocks)
        out = "t"
        if s > 1:
            nodes.append({"op": "pixel_shuffle", "input": "t", "output": "out", "factor": s})
            out = "out"
        arch = {"scale": s, "planes": "y", "skip": "bicubic", "receptive_field": self.receptive_field(),
                "inputs": inputs, "nodes": nodes, "output": out}
        if self.quantizer:
            arch["quantizer"] = QUANTIZER_SPEC
        return arch, tensors

    def config(self) -> dict:
        return {"channels": self.channels, "blocks": self.blocks, "scale": self.scale, "temporal": self.temporal,
                "shared_slopes": self.shared_slopes, "quantizer": self.quantizer, "phase": self.phase,
                "phase_tail": self.phase_tail, "quantizer_weights": self.quantizer_weights}


def run_graph(arch: dict, tensors: dict, inputs: dict[str, torch.Tensor], q: torch.Tensor | None = None,
              origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """A reference interpreter of the exported graph (what the Swift side implements): returns the
    graph output (before skip). q: [B] the frames' normalized quantizers (networks with
    "quantizer" in their architecture). origin: the frame coordinate of the inputs' top-left pixel
    (convolutions with a `bias_phase`: a tile of a frame). Used by export.py for the parity fixture and by the tests."""
    vals = dict(inputs)
    T = lambda n: torch.from_numpy(tensors[n])
    if "quantizer" in arch and q is None:
        raise ValueError("this network is conditioned on the quantizer: pass q")
    for n in arch["nodes"]:
        op = n["op"]
        if op == "conv2d":
            b = T(n["bias"]) if n.get("bias") else None
            y = F.conv2d(vals[n["input"]], T(n["weight"]), b, padding=n["kernel"] // 2)
            if n.get("bias_quantizer"):
                uv = T(n["bias_quantizer"])
                qq = q.reshape(-1, 1).to(y.dtype)
                y = y + (qq * uv[0] + qq * qq * uv[1])[:, :, None, None]
            if n.get("weight_quantizer"):
                x = vals[n["input"]]
                y = y + F.conv2d(x * q.reshape(-1, 1, 1, 1).to(x.dtype), T(n["weight_quantizer"]), padding=n["kernel"] // 2)
            if n.get("bias_phase"):
                pb = T(n["bias_phase"])
                period = pb.shape[-1]
                rows = (origin[0] + torch.arange(y.shape[-2])) % period
                cols = (origin[1] + torch.arange(y.shape[-1])) % period
                y = y + pb[0][:, rows][None, :, :, None] + pb[1][:, cols][None, :, None, :]
            if n.get("activation") == "relu":
                y = F.relu(y)
        elif op == "prelu":
            y = F.prelu(vals[n["input"]], T(n["weight"]))
        elif op == "relu":
            y = F.relu(vals[n["input"]])
        elif op == "add":
            a, b = n["inputs"]
            y = vals[a] + vals[b]
        elif op == "concat":
            y = torch.cat([vals[k] for k in n["inputs"]], 1)
        elif op == "pixel_shuffle":
            y = F.pixel_shuffle(vals[n["input"]], n["factor"])
        elif op == "pixel_unshuffle":
            y = F.pixel_unshuffle(vals[n["input"]], n["factor"])
        else:
            raise ValueError(op)
        vals[n["output"]] = y
    return vals[arch["output"]]
