"""Reference timings for Benchmarks' foundation section: the same operations in PyTorch.

Prints key=seconds lines (median of 21 runs after 3 warm-ups). Usage: foundation_torch.py THREADS
"""
import sys
import time

import torch

import timing  # scripts/bench/timing.py: the one timing rule

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)


def median(fn, reps=21, warmup=3):
    return timing.median(fn, reps, warmup)


a, b = torch.randn(512, 512), torch.randn(512, 512)
x, y = torch.randn(1 << 20), torch.randn(1 << 20)
rows, bias = torch.randn(1024, 1024), torch.randn(1024)
print("matmul512=%r" % median(lambda: torch.mm(a, b)))
print("add1m=%r" % median(lambda: x + y))
print("broadcast_add=%r" % median(lambda: rows + bias))
print("softmax=%r" % median(lambda: torch.softmax(rows, dim=-1)))
print("sigmoid1m=%r" % median(lambda: torch.sigmoid(x)))

small = torch.tensor([1.0, 2, 3, 4], requires_grad=True)


def chain():
    z = small
    for _ in range(100):
        z = z * 1.0001
    z.sum().backward()


print("autograd_per_op=%r" % (median(chain) / 100))
