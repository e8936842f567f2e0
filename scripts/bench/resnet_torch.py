"""PyTorch side of Benchmarks' ResNet section: torchvision resnet50 (random weights).

Prints key=seconds (median) for the frozen backbone forward at 32×32 batch 64 and 224×224 batch
16 (eval, no_grad), one full training step at 32×32 batch 64 (SGD lr 0.001 momentum 0.9), and
rss_mib, the peak resident memory after the forward runs. Usage: resnet_torch.py [--quick]
"""
import resource
import sys
import time

import torch
import torch.nn as nn
import torchvision

import timing  # scripts/bench/timing.py: the one timing rule

torch.set_num_threads(2)
quick = "--quick" in sys.argv


def median(fn, reps, warmup=1):
    return timing.median(fn, reps, warmup)


model = torchvision.models.resnet50()
backbone = nn.Sequential(*list(model.children())[:-1]).eval()
small = torch.randn(64, 3, 32, 32)
large = torch.randn(16, 3, 224, 224)
with torch.no_grad():
    print("forward32=%r" % median(lambda: backbone(small), 3 if quick else 7))
    print("forward224=%r" % median(lambda: backbone(large), 1 if quick else 3))
print("rss_mib=%r" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
model.train()
optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
labels = torch.arange(64) % 10


def step():
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(small), labels).backward()
    optimizer.step()


print("train32=%r" % median(step, 1 if quick else 3))
