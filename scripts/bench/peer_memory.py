"""Peak memory of one peer on its own: the ResNet-50 backbone of peers.py at 224×224, batch 16,
three forwards, in a process that imports only that engine (ONNX Runtime and OpenVINO read the
ONNX file peers.py exported; PyTorch builds the model). Prints

    max_rss_mib=<peak resident set size of this process (VmHWM), MiB>

or nothing when the engine or the exported file is missing.
Usage: peer_memory.py torch|onnxruntime|openvino fp32|bf16 [--threads N]
"""
import os
import resource
import sys
import tempfile

import numpy as np

engine, precision = sys.argv[1], sys.argv[2]
threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
x = np.random.default_rng(0).standard_normal((16, 3, 224, 224), dtype=np.float32)
onnx_path = os.path.join(tempfile.gettempdir(), "classify-bench", "resnet50_backbone_seed0.onnx")

try:
    if engine == "torch":
        import torch
        import torch.nn as nn
        import torchvision

        torch.set_num_threads(threads)
        model = torchvision.models.resnet50()
        backbone = nn.Sequential(*list(model.children())[:-1], nn.Flatten()).eval()
        batch = torch.from_numpy(x)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16,
                                             enabled=precision == "bf16"):
            for _ in range(3):
                backbone(batch)
    elif engine == "onnxruntime" and precision == "fp32" and os.path.exists(onnx_path):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        for _ in range(3):
            session.run(None, {"x": x})
    elif engine == "openvino" and os.path.exists(onnx_path):
        import openvino as ov

        core = ov.Core()
        compiled = core.compile_model(core.read_model(onnx_path), "CPU", {
            "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32"})
        request = compiled.create_infer_request()
        for _ in range(3):
            request.infer({0: x})
    else:
        sys.exit(0)
except ImportError:
    sys.exit(0)

def peak_mib():
    """VmHWM, this address space's own peak (ru_maxrss would also count the parent's resident set
    at fork time, which Linux keeps across exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


print("max_rss_mib=%r" % peak_mib())
