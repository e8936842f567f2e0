"""Time to a first prediction in PyTorch, as a user writes it: build torchvision's ResNet-50, load a
torch.save'd state dict, transform one image, classify it. Beside `classify predict IMAGE --weights
FILE` in docs/BENCHMARKS.md (wall time of the whole process, `/usr/bin/time`).
Usage: predict_torch.py WEIGHTS.pth IMAGE
"""
import sys

import torch, torchvision
from PIL import Image
from torchvision import transforms
torch.set_num_threads(2)
m = torchvision.models.resnet50()
m.load_state_dict(torch.load(sys.argv[1]))
m.eval()
t = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), transforms.Normalize([0.485,0.456,0.406],[0.229,0.224,0.225])])
x = t(Image.open(sys.argv[2]).convert('RGB')).unsqueeze(0)
with torch.no_grad(): p = m(x).softmax(1)
print(p.topk(2))
