"""The peers' 32×32 backbone rate at several batch sizes, so that a projected caching time compares
each engine at its best batch (classify's feature extraction runs 128 at 32×32, not the issue's 64).

Reads the ONNX export `peers.py` caches (run `Benchmarks peers` once first) and times, at each batch,
ONNX Runtime fp32, OpenVINO fp32 and bf16 and PyTorch fp32 (median of 5 after 2 warm-ups), printing
`<engine>_<precision> batch <B>: <img/s>`. Usage: peers_batch.py [--threads N] [BATCH ...]
(default 2 threads, batches 64 128). Interleave it with `Benchmarks forward-loop 32 B` runs.
"""
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torchvision

import timing  # scripts/bench/timing.py: the one timing rule

arguments = sys.argv[1:]
threads = 2
if "--threads" in arguments:
    position = arguments.index("--threads")
    threads = int(arguments[position + 1])
    del arguments[position:position + 2]
batches = [int(word) for word in arguments] or [64, 128]
torch.set_num_threads(threads)
torch.manual_seed(0)

path = os.path.join(tempfile.gettempdir(), "classify-bench", "resnet50_backbone_seed0.onnx")
if not os.path.exists(path):
    sys.exit("peers_batch.py: %s is missing; run `Benchmarks peers` once to export it" % path)

model = torchvision.models.resnet50()
backbone = nn.Sequential(*list(model.children())[:-1], nn.Flatten()).eval()

import onnxruntime as ort
import openvino as ov

options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
core = ov.Core()
network = core.read_model(path)
compiled = {
    precision: core.compile_model(network, "CPU", {
        "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": hint,
        "PERFORMANCE_HINT": "LATENCY"})
    for precision, hint in (("fp32", "f32"), ("bf16", "bf16"))
}
requests = {precision: network.create_infer_request() for precision, network in compiled.items()}

for batch in batches:
    x = torch.randn(batch, 3, 32, 32)
    data = x.numpy()

    def torch_fp32():
        with torch.no_grad():
            return backbone(x)

    runs = {
        "onnxruntime_fp32": lambda: session.run(None, {"x": data}),
        "openvino_fp32": lambda: requests["fp32"].infer({0: data}),
        "openvino_bf16": lambda: requests["bf16"].infer({0: data}),
        "torch_fp32": torch_fp32,
    }
    for name, run in runs.items():
        seconds = timing.median(run, 5, 2)
        print("%s batch %d: %.1f img/s" % (name, batch, batch / seconds), flush=True)
