#!/usr/bin/env python3
"""Loads a `classify finetune` model into PyTorch and compares its class probabilities with
`classify predict --checkpoint` on the same images.

    /usr/bin/python3 scripts/check_finetune_checkpoint.py RUN_DIR IMAGE [IMAGE...]
        [--classify .build/release/classify] [--weights FILE]

Needs torch, torchvision, safetensors and Pillow (not needed by classify itself). The backbone
comes from the checkpoint when it was unfrozen, otherwise from --weights (a torchvision .pth /
.safetensors file) or, for catalogue names, torchvision's own download of the same weights.
"""
import argparse
import json
import subprocess
import sys

import torch
import torchvision
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file


def build_head(spec, features, classes):
    layers, width = [], features
    for item in [s for s in spec.split(",") if s.strip()]:
        item = item.strip().lower()
        if item.isdigit():
            layers.append(torch.nn.Linear(width, int(item)))
            width = int(item)
        elif item in ("relu", "sigmoid", "tanh"):
            layers.append({"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}[item]())
        elif item.startswith("dropout"):
            layers.append(torch.nn.Dropout(float(item.split(":")[1]) if ":" in item else 0.5))
    layers.append(torch.nn.Linear(width, classes))
    return torch.nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("images", nargs="+")
    parser.add_argument("--classify", default=".build/release/classify")
    parser.add_argument("--weights")
    args = parser.parse_args()
    path = f"{args.run}/best.safetensors"
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    config = json.loads(meta["config"])
    names = json.loads(meta["class_names"])
    if config.get("baseWidth", 64) != 64:
        sys.exit("only torchvision's standard widths can be rebuilt in PyTorch")

    state = load_file(path)
    backbone_state = {}
    if meta["includes_backbone"] != "true":
        backbone = args.weights or sys.exit("pass --weights FILE: the head was trained on a frozen backbone")
        backbone_state = load_file(backbone) if backbone.endswith(".safetensors") else torch.load(backbone)
        backbone_state = {k: v for k, v in backbone_state.items() if not k.startswith("fc.")}
    # The architecture: from a catalogue name (resnet50:v1), the random depth, or else the
    # weights themselves (a file path says nothing about the depth).
    weights = config["weights"]
    if weights == "random":
        depth = config["depth"]
    elif weights.startswith("resnet") and not weights.endswith((".pth", ".safetensors")):
        depth = int(weights.split(":")[0][len("resnet"):])
    else:
        keys = {**backbone_state, **state}.keys()
        blocks = len({k.split(".")[1] for k in keys if k.startswith("layer3.")})
        bottleneck = any(k.startswith("layer1.0.conv3.") for k in keys)
        depth = {(False, 2): 18, (False, 6): 34, (True, 6): 50, (True, 23): 101, (True, 36): 152}[(bottleneck, blocks)]

    # The three lines of the README.
    net = getattr(torchvision.models, f"resnet{depth}")()
    net.fc = build_head(config["head"], int(meta["input_features"]), len(names))
    state = {**backbone_state, **state}
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert not unexpected and not [k for k in missing if not k.endswith("num_batches_tracked")], (missing, unexpected)
    net.eval()

    steps = [torchvision.transforms.ToTensor()]
    if config.get("resize"):
        steps.append(torchvision.transforms.Resize(config["resize"], antialias=True))
        steps.append(torchvision.transforms.CenterCrop(config["resize"]))
    steps.append(torchvision.transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)))
    transform = torchvision.transforms.Compose(steps)

    weights_option = ["--weights", args.weights] if args.weights else []
    ours = json.loads(subprocess.check_output(
        [args.classify, "predict", "--checkpoint", path, *weights_option, "--top", str(len(names)), "--json", *args.images]))
    worst = 0.0
    for prediction, image in zip(ours, args.images):
        with torch.no_grad():
            probabilities = net(transform(Image.open(image).convert("RGB")).unsqueeze(0)).softmax(1)[0]
        for score in prediction["top"]:
            worst = max(worst, abs(score["probability"] - probabilities[score["index"]].item()))
        best = probabilities.argmax().item()
        print(f"{image}: PyTorch {names[best]} {probabilities[best]:.6f}, classify {prediction['top'][0]['name']} {prediction['top'][0]['probability']:.6f}")
    print(f"largest probability difference: {worst:.2e}")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main()
