"""The peers of Benchmarks' `peers` section: the same torchvision ResNet-50 backbone (seeded random
weights, to the 2048 pooled features) in PyTorch (fp32, bf16 autocast), ONNX Runtime (fp32) and
OpenVINO (fp32, bf16), each at the same thread count.

The backbone is exported to ONNX once (cached beside this run's temporary folder) and both ONNX
Runtime and OpenVINO read that file, so every engine runs the same graph and weights. For each
engine, precision and case it prints

    <engine>_<precision>_<size>=<seconds per batch, median>
    <engine>_<precision>_<size>_error=<max |ours - torch fp32| / max |torch fp32|>

with size `32` (32×32, batch 64) and `224` (224×224, batch 16). Engines that are not installed
are skipped (nothing printed for them). Usage: peers.py [--threads N] [--quick]
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
torch.set_num_threads(threads)
torch.manual_seed(0)

CASES = {32: 64, 224: 16}


def median(fn, reps, warmup=2):
    return timing.median(fn, reps, warmup)


def reps(size):
    return (3 if quick else 7) if size == 32 else (2 if quick else 3)


def report(name, size, seconds, output, reference):
    print("%s_%d=%r" % (name, size, float(seconds)))
    difference = np.abs(np.asarray(output, dtype=np.float64) - reference).max()
    scale = max(float(np.abs(reference).max()), 1e-30)
    print("%s_%d_error=%r" % (name, size, float(difference) / scale))


model = torchvision.models.resnet50()
backbone = nn.Sequential(*list(model.children())[:-1], nn.Flatten()).eval()
inputs = {size: torch.randn(batch, 3, size, size) for size, batch in CASES.items()}
references = {}
with torch.no_grad():
    for size, x in inputs.items():
        references[size] = backbone(x).double().numpy()
        report("torch_fp32", size, median(lambda: backbone(x), reps(size)),
               references[size], references[size])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            output = backbone(x).float().numpy()
            report("torch_bf16", size,
                   median(lambda: backbone(x), reps(size)), output, references[size])

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
        output = session.run(None, feed)[0]
        report("onnxruntime_fp32", size, median(lambda: session.run(None, feed), reps(size)),
               output, references[size])
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
            output = request.infer({0: data})[compiled.output(0)]
            report("openvino_" + precision, size,
                   median(lambda: request.infer({0: data}), reps(size)), output, references[size])
except ImportError:
    pass
