#!/usr/bin/python3
"""Checks classify's full-size ResNet-50 against torchvision's on the same random weights.

Builds torchvision.models.resnet50() with random weights and random BatchNorm statistics (or
loads --weights FILE, e.g. the real ImageNet checkpoint), writes it as safetensors together with
a random input, runs `Benchmarks check-resnet` (release build) on them and prints the largest
differences of the 2048 features (plain and BN-folded engine) and the logits.

Usage: python3 scripts/check_resnet50.py [--weights resnet50-0676ba61.pth] [--batch 2] [--size 224]
Needs torch, torchvision and safetensors; classify itself needs none of them.
"""
import argparse
import os
import subprocess
import tempfile

import torch
import torchvision
from safetensors.torch import load_file, save_file

parser = argparse.ArgumentParser()
parser.add_argument("--weights")
parser.add_argument("--batch", type=int, default=2)
parser.add_argument("--size", type=int, default=224)
args = parser.parse_args()

torch.manual_seed(0)
model = torchvision.models.resnet50()
if args.weights:
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
else:
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
model.eval()
x = torch.randn(args.batch, 3, args.size, args.size)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
subprocess.run(["swift", "build", "-c", "release", "--product", "Benchmarks"], cwd=root, check=True)
with tempfile.TemporaryDirectory() as folder:
    weights, inputs, outputs = (os.path.join(folder, n) for n in ("w.safetensors", "x.safetensors", "y.safetensors"))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
    save_file({"x": x}, inputs)
    subprocess.run([os.path.join(root, ".build", "release", "Benchmarks"), "check-resnet", weights, inputs, outputs],
                   check=True)
    ours = load_file(outputs)
with torch.no_grad():
    backbone = torch.nn.Sequential(*list(model.children())[:-1])
    features = torch.flatten(backbone(x), 1)
    logits = model.fc(features)
for name, reference in [("features", features), ("features_folded", features), ("logits", logits)]:
    error = (ours[name] - reference).abs().max().item()
    scale = reference.abs().max().item()
    print(f"{name:16s} max |ours - torch| = {error:.3e}  (relative to max |torch| {error / scale:.3e})")
