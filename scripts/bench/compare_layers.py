"""Ours against OpenVINO layer by layer, as a Markdown table (docs/BENCHMARKS.md).

    .build/release/Benchmarks forward-layers 224 4 5 > ours.txt
    /opt/peers/bin/python scripts/bench/openvino_layers.py 224 16 > openvino.txt
    python3 scripts/bench/compare_layers.py ours.txt openvino.txt 4 16 224

(At 32×32: `forward-layers 32 64 5`, `openvino_layers.py 32 64`, then `… 64 64 32`.)

Each row is one kind of layer of the ResNet-50 backbone, all its calls together, in milliseconds
per image (ours ran BATCH_OURS images, OpenVINO BATCH_OPENVINO). OpenVINO's node names
(`/5/5.0/conv2/...`: stage, block, convolution) are mapped to the kinds ours prints.
"""
import re
import sys

ours_path, openvino_path = sys.argv[1], sys.argv[2]
ours_batch = int(sys.argv[3]) if len(sys.argv) > 3 else 4
openvino_batch = int(sys.argv[4]) if len(sys.argv) > 4 else 16
size = int(sys.argv[5]) if len(sys.argv) > 5 else 224

ours, order = {}, []
for line in open(ours_path):
    conv = re.match(r"\s+([\d.]+)\s+(\d+)\s+(\S+)\s+(.*?)\s+\(GEMM", line)
    pool = re.match(r"\s+([\d.]+)\s+(\d+)\s+–\s+(max-pool.*)", line)
    match = conv or pool
    if match:
        name = (conv.group(4) if conv else pool.group(3)).strip()
        ours[name] = float(match.group(1)) / ours_batch
        order.append(name)

WIDTHS, CHANNELS = [max(1, size // 4 // 2**i) for i in range(4)], [64, 128, 256, 512]


def kind(node):
    if node.startswith("/0/Conv"):
        return "7×7/2 3→64 on %d×%d" % (size, size)
    if "MaxPool" in node:
        return "max-pool 3×3/2"
    match = re.match(r"/(\d)/\d\.(\d+)/(conv\d|downsample)", node)
    if not match:
        return None
    stage, block, layer = int(match.group(1)) - 4, int(match.group(2)), match.group(3)
    w, c = WIDTHS[stage], CHANNELS[stage]
    if block == 0 and stage == 0 and layer == "conv1":
        return "1×1/1 64→64 on %d×%d" % (WIDTHS[0], WIDTHS[0])
    if block == 0 and stage == 0 and layer == "downsample":
        return "1×1/1 64→256 on %d×%d" % (WIDTHS[0], WIDTHS[0])
    if block == 0 and stage > 0 and layer != "conv3":
        pw, pin = WIDTHS[stage - 1], 4 * CHANNELS[stage - 1]
        return {"conv1": "1×1/1 %d→%d on %d×%d" % (pin, c, pw, pw),
                "conv2": "3×3/2 %d→%d on %d×%d" % (c, c, pw, pw),
                "downsample": "1×1/2 %d→%d on %d×%d" % (pin, 4 * c, pw, pw)}[layer]
    return {"conv1": "1×1/1 %d→%d on %d×%d" % (4 * c, c, w, w),
            "conv2": "3×3/1 %d→%d on %d×%d" % (c, c, w, w),
            "conv3": "1×1/1 %d→%d on %d×%d +shortcut" % (c, 4 * c, w, w)}[layer]


theirs = {}
for line in open(openvino_path):
    match = re.match(r"\s+([\d.]+) ms\s+(Convolution|MaxPool)\s+\S+\s+(\S+)", line)
    if match and kind(match.group(3)):
        name = kind(match.group(3))
        theirs[name] = theirs.get(name, 0.0) + float(match.group(1)) / openvino_batch

print("| layer (all its calls) | ours ms/image | OpenVINO ms/image | ours ÷ OpenVINO |")
print("|---|---|---|---|")
total_ours = total_theirs = 0.0
for name in order:
    mine, other = ours[name], theirs.get(name, float("nan"))
    total_ours += mine
    total_theirs += other
    print("| %s | %.3f | %.3f | %.2f |" % (name, mine, other, mine / other))
print("| **all convolutions and pooling** | **%.2f** | **%.2f** | **%.2f** |"
      % (total_ours, total_theirs, total_ours / total_theirs))
