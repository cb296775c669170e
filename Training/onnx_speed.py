"""Times the shipped network with ONNX Runtime on one 640×360 → 1280×720 luma frame, with 1 and 2
intra-op threads: the reference for the "ONNX Runtime ratio" benchmark (Loupe's oneDNN inference
time ÷ ONNX Runtime's on the same graph).

  /usr/bin/python3 Training/onnx_speed.py [Sources/Restoration/Models/restore-x2.safetensors]

Step 1 (Debian's PyTorch): rebuild the graph from the safetensors file as a torch module and export
it to ONNX (the graph only: convs, PReLU, concat/add, pixel shuffle; the bicubic skip is not in the
graph, as in the node where it is added separately). Step 2 (Training/.venv, which has
onnxruntime): time it. Prints one line per thread count and writes a JSON next to the ONNX file.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent / "Sources" / "Restoration" / "Models" / "restore-x2.safetensors"


def export_onnx(model_path: Path, onnx_path: Path, h: int, w: int) -> dict:
    import torch
    sys.path.insert(0, str(HERE))
    from common import read_safetensors
    from model import run_graph
    tensors, meta = read_safetensors(model_path)
    arch = json.loads(meta["architecture"])
    names = [i["name"] for i in arch["inputs"]]
    chans = [i["channels"] for i in arch["inputs"]]

    # a quantizer-conditioned network: its biases at the model's default quantizer (the node
    # rewrites a few hundred biases per frame; that is not part of this timing)
    q = torch.tensor([arch["quantizer"]["default"]]) if "quantizer" in arch else None
    # quantizer-conditioned kernels: folded at that quantizer, as the node does per frame
    if any(n.get("weight_quantizer") for n in arch["nodes"]):
        tensors = dict(tensors)
        nodes = []
        for n in arch["nodes"]:
            if n.get("weight_quantizer"):
                tensors[n["weight"]] = tensors[n["weight"]] + float(q[0]) * tensors[n["weight_quantizer"]]
                n = {k: v for k, v in n.items() if k != "weight_quantizer"}
            nodes.append(n)
        arch = dict(arch, nodes=nodes)

    class Graph(torch.nn.Module):
        def forward(self, *xs):
            return run_graph(arch, tensors, dict(zip(names, xs)), q)

    dummy = tuple(torch.rand(1, c, h, w) for c in chans)
    torch.onnx.export(Graph(), dummy, str(onnx_path), input_names=names, output_names=["out"], opset_version=13)
    macs = sum(n["in_channels"] * n["out_channels"] * n["kernel"] ** 2 for n in arch["nodes"] if n["op"] == "conv2d")
    return {"inputs": dict(zip(names, chans)), "macs_per_pixel": macs, "gmac_per_frame": macs * h * w / 1e9}


def time_ort(onnx_path: Path, inputs: dict, h: int, w: int, reps: int) -> dict:
    import numpy as np
    import onnxruntime as ort
    res = {"onnxruntime": ort.__version__}
    for threads in (1, 2):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        feed = {k: np.random.rand(1, c, h, w).astype(np.float32) for k, c in inputs.items()}
        for _ in range(3):
            sess.run(None, feed)
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            sess.run(None, feed)
            times.append(time.perf_counter() - t)
        res[f"threads{threads}_ms_median"] = 1000 * float(np.median(times))
        res[f"threads{threads}_ms_min"] = 1000 * float(np.min(times))
    return res


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--time":      # step 2, inside the venv
        onnx_path, inputs, h, w, reps = Path(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
        print(json.dumps(time_ort(onnx_path, inputs, h, w, reps)))
        return
    model_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    h, w, reps = 360, 640, 20
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = Path(tmp) / "model.onnx"
        info = export_onnx(model_path, onnx_path, h, w)
        venv_py = HERE / ".venv" / "bin" / "python"
        out = subprocess.run([str(venv_py), __file__, "--time", str(onnx_path), json.dumps(info["inputs"]),
                              str(h), str(w), str(reps)], check=True, capture_output=True, text=True).stdout
        res = {**info, **json.loads(out.strip().splitlines()[-1]), "model": model_path.name, "frame": f"{w}x{h}"}
    for t in (1, 2):
        ms = res[f"threads{t}_ms_median"]
        print(f"onnxruntime {res['onnxruntime']}, {t} thread(s): {ms:.1f} ms per {w}x{h} frame "
              f"(min {res[f'threads{t}_ms_min']:.1f}), {res['gmac_per_frame'] / (ms / 1000):.1f} GMAC/s")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
