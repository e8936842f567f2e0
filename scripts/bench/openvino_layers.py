"""OpenVINO's time per layer for the ResNet-50 backbone of `peers.py` (fp32 or bf16, 2 threads), to set
beside ours (`Benchmarks forward-layers`) in docs/BENCHMARKS.md.

Reads the ONNX export `peers.py` caches (run `Benchmarks peers` once first), profiles one batch with
OpenVINO's PERF_COUNT (the fastest of 3 after 2 warm-ups) and prints, per node, its milliseconds,
type, implementation and name. Usage: openvino_layers.py [SIZE] [BATCH] [f32|bf16]  (default 224 16 f32)
"""
import os
import sys
import tempfile
import time

import numpy as np
import openvino as ov

size = int(sys.argv[1]) if len(sys.argv) > 1 else 224
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 16
precision = sys.argv[3] if len(sys.argv) > 3 else "f32"
if precision not in ("f32", "bf16"):
    sys.exit("openvino_layers.py: precision must be f32 or bf16, got %r" % precision)
path = os.path.join(tempfile.gettempdir(), "classify-bench", "resnet50_backbone_seed0.onnx")
if not os.path.exists(path):
    sys.exit("openvino_layers.py: %s is missing; run `Benchmarks peers` once to export it" % path)

core = ov.Core()
compiled = core.compile_model(core.read_model(path), "CPU", {
    "INFERENCE_NUM_THREADS": 2, "INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY",
    "PERF_COUNT": True})
request = compiled.create_infer_request()
x = np.random.default_rng(0).standard_normal((batch, 3, size, size), dtype=np.float32)
for _ in range(2):
    request.infer({0: x})
best = None
for _ in range(3):
    start = time.perf_counter()
    request.infer({0: x})
    seconds = time.perf_counter() - start
    if best is None or seconds < best[0]:
        best = (seconds, request.get_profiling_info())
seconds, nodes = best
print("total %.1f ms, %.1f img/s (batch %d, %d×%d)" % (seconds * 1e3, batch / seconds, batch, size, size))
for node in nodes:
    ms = node.real_time.total_seconds() * 1e3
    if ms >= 0.001:
        print("%9.2f ms  %-12s %-28s %s" % (ms, node.node_type, node.exec_type, node.node_name))
