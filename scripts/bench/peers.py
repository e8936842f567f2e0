"""The peers of Benchmarks' `peers` section: the same torchvision ResNet-50 backbone (seeded random
weights, to the 2048 pooled features) in PyTorch (fp32, bf16 autocast), ONNX Runtime (fp32) and
OpenVINO (fp32, bf16), each at the same thread count.

The backbone is exported to ONNX once (cached beside this run's temporary folder) and both ONNX
Runtime and OpenVINO read that file, so every engine runs the same graph and weights. Each engine
first runs each case once, and its error is printed:

    <engine>_<precision>_<size>_error=<max |ours - torch fp32| / max |torch fp32|>

with size `32` (32×32, batch 64) and `224` (224×224, batch 16). Engines that are not installed
are skipped (nothing printed for them). Then, by default, each engine's time:

    <engine>_<precision>_<size>=<seconds per batch, median>

With `--serve` it prints `ready` instead and times on request, one line of stdin at a time —
`<engine>_<precision> <size> <reps>` answered by the line above (the median of `reps` after one
warm-up call; `unknown` for an engine or case it does not have) — until stdin closes: the
Benchmarks executable interleaves its own timings with these, round by round, on a host whose
speed drifts within a minute. Usage: peers.py [--threads N] [--quick] [--serve]
"""
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision

import timing  # scripts/bench/timing.py: the one timing rule

threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
quick = "--quick" in sys.argv
serve = "--serve" in sys.argv
torch.set_num_threads(threads)
torch.manual_seed(0)

CASES = {32: 64, 224: 16}
runners = {}  # (engine_precision, size) -> a call that runs one batch


def reps(size):
    return (3 if quick else 7) if size == 32 else (2 if quick else 3)


def add(name, size, run, reference):
    """Runs `run` once (its warm-up), prints its error against `reference` and keeps it."""
    output = np.asarray(run(), dtype=np.float64)
    difference = np.abs(output - reference).max()
    scale = max(float(np.abs(reference).max()), 1e-30)
    print("%s_%d_error=%r" % (name, size, float(difference) / scale), flush=True)
    runners[(name, size)] = run


model = torchvision.models.resnet50()
backbone = nn.Sequential(*list(model.children())[:-1], nn.Flatten()).eval()
inputs = {size: torch.randn(batch, 3, size, size) for size, batch in CASES.items()}
references = {}


def torch_fp32(x):
    with torch.no_grad():
        return backbone(x).numpy()


def torch_bf16(x):
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        return backbone(x).float().numpy()


for size, x in inputs.items():
    references[size] = torch_fp32(x).astype(np.float64)
    add("torch_fp32", size, lambda x=x: torch_fp32(x), references[size])
    add("torch_bf16", size, lambda x=x: torch_bf16(x), references[size])

folder = os.path.join(tempfile.gettempdir(), "classify-bench")
os.makedirs(folder, exist_ok=True)
onnx_path = os.path.join(folder, "resnet50_backbone_seed0.onnx")
if not os.path.exists(onnx_path):
    partial = onnx_path + ".partial"
    torch.onnx.export(
        backbone, (inputs[32],), partial, input_names=["x"], output_names=["features"],
        dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}, "features": {0: "n"}}, opset_version=17,
        dynamo=False)
    os.replace(partial, onnx_path)

try:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    for size, x in inputs.items():
        feed = {"x": x.numpy()}
        add("onnxruntime_fp32", size, lambda feed=feed: session.run(None, feed)[0],
            references[size])
except ImportError:
    pass

try:
    import openvino as ov

    core = ov.Core()
    network = core.read_model(onnx_path)
    for precision, hint in (("fp32", "f32"), ("bf16", "bf16")):
        compiled = core.compile_model(network, "CPU", {
            "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": hint,
            "PERFORMANCE_HINT": "LATENCY"})
        request = compiled.create_infer_request()
        for size, x in inputs.items():
            data = x.numpy()
            add("openvino_" + precision, size,
                lambda request=request, data=data, output=compiled.output(0):
                request.infer({0: data})[output], references[size])
except ImportError:
    pass

if not serve:
    for (name, size), run in runners.items():
        print("%s_%d=%r" % (name, size, timing.median(run, reps(size), 2)), flush=True)
    sys.exit(0)

print("ready", flush=True)
for line in sys.stdin:
    words = line.split()
    if len(words) != 3 or not words[1].isdigit() or not words[2].isdigit():
        print("unknown", flush=True)
        continue
    name, size, count = words[0], int(words[1]), int(words[2])
    run = runners.get((name, size))
    if run is None or count < 1:
        print("unknown", flush=True)
        continue
    print("%s_%d=%r" % (name, size, timing.median(run, count, 1)), flush=True)
