"""PyTorch side of Benchmarks' fine-tuning section (issue #6): torchvision resnet50 (random
weights) with the assignment's head Linear(2048, 32) -> Dropout(0.5) -> Linear(32, 10),
cross-entropy, SGD lr 0.001 momentum 0.9, inputs normalised with mean 0.5 / std 0.5.

Prints key=seconds (medians after warm-up):
  forward32     backbone forward, 32x32 batch 64, eval + no_grad (the cost of caching features)
  frozen32      frozen-backbone train step: backbone under no_grad in eval mode, head fwd/bwd/SGD
  literal32     the provided code's step: whole net in train mode (BN on batch statistics),
                backbone requires_grad False, SGD over the head's parameters
  head_epoch    one shuffled epoch (randperm batches of 64) of the head on 50,000 x 2048 cached
                features, with the provided loop's loss.item() and accuracy count
  head_epoch_1thread  the same with torch.set_num_threads(1)
  train32       unfrozen train step, 32x32 batch 64: forward + backward + SGD through the whole
                ResNet-50 and head in train mode
Usage: finetune_torch.py [--threads N] [--quick]
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

import timing  # scripts/bench/timing.py: the one timing rule

threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
torch.set_num_threads(threads)
quick = "--quick" in sys.argv
torch.manual_seed(0)


def median(fn, reps, warmup=1):
    return timing.median(fn, reps, warmup)


def make_head():
    return nn.Sequential(nn.Linear(2048, 32), nn.Dropout(0.5), nn.Linear(32, 10))


def normalize(x):
    return (x - 0.5) / 0.5


raw = torch.rand(64, 3, 32, 32)
labels = torch.arange(64) % 10

# Frozen backbone in eval mode, no autograd: the forward alone, then the frozen train step.
model = torchvision.models.resnet50()
backbone = nn.Sequential(*list(model.children())[:-1]).eval()
with torch.no_grad():
    print("forward32=%r" % median(lambda: backbone(normalize(raw)), 3 if quick else 7), flush=True)

head = make_head().train()
head_optimizer = torch.optim.SGD(head.parameters(), lr=0.001, momentum=0.9)


def frozen_step():
    with torch.no_grad():
        features = torch.flatten(backbone(normalize(raw)), 1)
    head_optimizer.zero_grad()
    F.cross_entropy(head(features), labels).backward()
    head_optimizer.step()


print("frozen32=%r" % median(frozen_step, 3 if quick else 7), flush=True)

# The provided code, literally: requires_grad False on the backbone, net.fc the head, train mode.
literal = torchvision.models.resnet50()
for parameter in literal.parameters():
    parameter.requires_grad = False
literal.fc = make_head()
literal.train()
literal_optimizer = torch.optim.SGD(literal.fc.parameters(), lr=0.001, momentum=0.9)


def literal_step():
    literal_optimizer.zero_grad()
    F.cross_entropy(literal(normalize(raw)), labels).backward()
    literal_optimizer.step()


print("literal32=%r" % median(literal_step, 3 if quick else 5), flush=True)
del literal, literal_optimizer

# Head-only epoch on cached features.
rows = 50_000
features = torch.rand(rows, 2048)
feature_labels = torch.randint(0, 10, (rows,))
cached_head = make_head().train()
cached_optimizer = torch.optim.SGD(cached_head.parameters(), lr=0.001, momentum=0.9)


def head_epoch():
    order = torch.randperm(rows)
    running_loss = 0.0
    correct = 0
    for start in range(0, rows, 64):
        index = order[start:start + 64]
        inputs, targets = features[index], feature_labels[index]
        cached_optimizer.zero_grad()
        outputs = cached_head(inputs)
        loss = F.cross_entropy(outputs, targets)
        loss.backward()
        cached_optimizer.step()
        running_loss += loss.item() * len(index)
        correct += (outputs.argmax(1) == targets).sum().item()


print("head_epoch=%r" % median(head_epoch, 1 if quick else 3), flush=True)
# These batches are too small to pay for threads: PyTorch's own best is one thread.
torch.set_num_threads(1)
print("head_epoch_1thread=%r" % median(head_epoch, 1 if quick else 3), flush=True)
torch.set_num_threads(threads)
del features, feature_labels

# Unfrozen train step: the whole network and head in train mode.
model.fc = make_head()
model.train()
optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)


def train_step():
    optimizer.zero_grad()
    F.cross_entropy(model(normalize(raw)), labels).backward()
    optimizer.step()


print("train32=%r" % median(train_step, 1 if quick else 3), flush=True)
