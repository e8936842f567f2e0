#!/usr/bin/python3
"""Reference timings for Benchmarks' convolution section: the same ResNet-50 layers in PyTorch.

Prints key=seconds lines, each the median of N runs after warm-ups, timed inside Python with
torch.set_num_threads(THREADS). Keys: fwd_<case> (inference, torch.no_grad()), train_<case>
(forward + backward w.r.t. input, weight), bn_train, bn_eval, maxpool.
Usage: conv_torch.py THREADS. The cases must match Sources/Benchmarks/ConvolutionBenchmark.swift.
"""
import sys
import time

import torch

import timing  # scripts/bench/timing.py: the one timing rule

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)

# name, N, C, H, C_out, kernel, stride, padding, train
CASES = [
    ("c32_stem7x7", 64, 3, 32, 64, 7, 2, 3, True),
    ("c32_l1_3x3", 64, 64, 8, 64, 3, 1, 1, True),
    ("c32_l1_1x1", 64, 64, 8, 256, 1, 1, 0, True),
    ("c32_l2_3x3s2", 64, 128, 8, 128, 3, 2, 1, True),
    ("c32_l3_1x1", 64, 1024, 2, 256, 1, 1, 0, True),
    ("c32_l4_3x3", 64, 512, 1, 512, 3, 1, 1, True),
    ("c32_l4_1x1", 64, 512, 1, 2048, 1, 1, 0, True),
    ("c224_stem7x7", 16, 3, 224, 64, 7, 2, 3, False),
    ("c224_l1_3x3", 16, 64, 56, 64, 3, 1, 1, False),
    ("c224_l1_1x1", 16, 256, 56, 64, 1, 1, 0, False),
    ("c224_l2_3x3", 16, 128, 28, 128, 3, 1, 1, False),
    ("c224_l3_1x1", 16, 1024, 14, 256, 1, 1, 0, False),
    ("c224_l3_3x3", 16, 256, 14, 256, 3, 1, 1, False),
    ("c224_l4_3x3", 16, 512, 7, 512, 3, 1, 1, False),
]


def median(fn, reps, warmup=2):
    return timing.median(fn, reps, warmup)


for name, n, c, h, o, k, s, p, train in CASES:
    conv = torch.nn.Conv2d(c, o, k, s, p, bias=False)
    x = torch.randn(n, c, h, h)
    reps = 5 if h >= 56 else 11
    with torch.no_grad():
        print("fwd_%s=%r" % (name, median(lambda: conv(x), reps)), flush=True)
    if train:
        xg = x.clone().requires_grad_()
        g = torch.randn_like(conv(x))

        def step():
            conv.weight.grad = None
            xg.grad = None
            conv(xg).backward(g)

        print("train_%s=%r" % (name, median(step, reps)), flush=True)

bn = torch.nn.BatchNorm2d(64)
x = torch.randn(64, 64, 16, 16)
bn.train()
with torch.no_grad():
    print("bn_train=%r" % median(lambda: bn(x), 11))
    bn.eval()
    print("bn_eval=%r" % median(lambda: bn(x), 11))
    pool = torch.nn.MaxPool2d(3, 2, 1)
    print("maxpool=%r" % median(lambda: pool(x), 11))
