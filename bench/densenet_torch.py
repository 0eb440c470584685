#!/usr/bin/env python3
"""PyTorch CPU anchor for bench/densenet-bench.ts: the same 3D DenseNet-BC (same config JSON,
same parameter count), the same input size and batch, Adam, timed the same way.

Prints one JSON line: {"params", "threads", "trainMsPerStep", "trainCpuMsPerStep",
"trainSamplesPerSec", "inferSamplesPerSec", "peakRssMB", "torch"}.
Run by the TypeScript benchmark; usable alone:
  python3 bench/densenet_torch.py --config '{...}' --input 17x21x20 --batch 4 --threads 2
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class DenseLayer(nn.Module):
    def __init__(self, cin, growth, bottleneck):
        super().__init__()
        self.bn1 = nn.BatchNorm3d(cin)
        self.conv1 = nn.Conv3d(cin, bottleneck * growth, 1, bias=False)
        self.bn2 = nn.BatchNorm3d(bottleneck * growth)
        self.conv2 = nn.Conv3d(bottleneck * growth, growth, 3, padding=1, bias=False)

    def forward(self, x):
        y = self.conv1(F.relu(self.bn1(x)))
        y = self.conv2(F.relu(self.bn2(y)))
        return torch.cat([x, y], 1)


class Transition(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.bn = nn.BatchNorm3d(cin)
        self.conv = nn.Conv3d(cin, cout, 1, bias=False)

    def forward(self, x):
        return F.avg_pool3d(self.conv(F.relu(self.bn(x))), 2)


class DenseNet3d(nn.Module):
    """Mirror of src-main/model/densenet.ts (planDenseNet / denseNetForward)."""

    def __init__(self, cfg):
        super().__init__()
        s = cfg["stemChannels"]
        self.stem_pool = cfg["stemPool"]
        self.conv1 = nn.Conv3d(cfg["inChannels"], s, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm3d(s)
        self.conv2 = nn.Conv3d(s, s, 3, padding=1, bias=False)
        layers = []
        c = s
        for b, n in enumerate(cfg["blocks"]):
            for _ in range(n):
                layers.append(DenseLayer(c, cfg["growth"], cfg["bottleneck"]))
                c += cfg["growth"]
            if b < len(cfg["blocks"]) - 1:
                out = max(1, int(c * cfg["compression"]))
                layers.append(Transition(c, out))
                c = out
        self.features = nn.Sequential(*layers)
        self.head_bn = nn.BatchNorm3d(c)
        self.dense = nn.Linear(c, cfg["numClasses"])

    def forward(self, x):
        h = self.conv1(x)
        if self.stem_pool == "afterConv1":
            h = F.avg_pool3d(h, 2)
        h = self.conv2(F.relu(self.bn(h)))
        if self.stem_pool == "afterStem":
            h = F.avg_pool3d(h, 2)
        h = F.relu(self.head_bn(self.features(h)))
        return self.dense(h.mean(dim=(2, 3, 4)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, help="DenseNetConfig as JSON")
    ap.add_argument("--input", default="17x21x20", help="input size x,y,z in voxels")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = json.loads(args.config)
    sx, sy, sz = (int(v) for v in args.input.split("x"))
    net = DenseNet3d(cfg)
    params = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(args.batch, cfg["inChannels"], sz, sy, sx)
    y = torch.randint(0, cfg["numClasses"], (args.batch,))

    def train_step():
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    net.train()
    for _ in range(args.warmup):
        train_step()
    wall, cpu = [], []
    for _ in range(args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        train_step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)

    net.eval()
    infer = []
    with torch.no_grad():
        for _ in range(args.warmup):
            net(x)
        for _ in range(args.steps):
            t0 = time.perf_counter()
            net(x)
            infer.append(time.perf_counter() - t0)

    train_ms = statistics.median(wall) * 1000
    print(json.dumps({
        "torch": torch.__version__,
        "params": params,
        "threads": args.threads,
        "trainMsPerStep": train_ms,
        "trainCpuMsPerStep": statistics.median(cpu) * 1000,
        "trainSamplesPerSec": args.batch / (train_ms / 1000),
        "inferSamplesPerSec": args.batch / statistics.median(infer),
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
