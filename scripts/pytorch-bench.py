#!/usr/bin/env python3
"""The reference for `nnlab bench`: the same four training workloads (W1-W4) in PyTorch with
one thread, seconds per SGD epoch, median of `--repeats` epochs after one warm-up epoch.

Same shapes, batch sizes and example counts as nnlab's `bench::workloads()`; random inputs (an
epoch's time does not depend on the pixel values). Prints one JSON line per workload:
    {"workload": "W3", "pytorch_epoch_s": 10.2, "torch": "2.15.0", "threads": 1}
Needs PyTorch (from PyPI); `scripts/bench-all.sh` runs it when `python3 -c "import torch"` works.
Usage: python3 scripts/pytorch-bench.py [--workloads W1,W3] [--repeats 3]
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def mlp(inputs, hidden, classes):
    layers, width = [nn.Flatten()], inputs
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, classes))


def cnn(channels, convs, features, classes):
    layers, c = [], channels
    for out, kernel, stride in convs:
        layers += [nn.Conv2d(c, out, kernel, stride), nn.ReLU(), nn.MaxPool2d(2)]
        c = out
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(features, classes))


# id: (model, input [c, h, w], examples, batch); the same as nnlab's bench::workloads().
WORKLOADS = {
    "W1": (lambda: mlp(784, [128, 64], 10), (1, 28, 28), 2_000, 10),
    "W2": (lambda: mlp(12288, [128, 64], 10), (3, 64, 64), 7_665, 10),
    "W3": (lambda: cnn(3, [(16, 5, 1), (32, 5, 1)], 32 * 13 * 13, 10), (3, 64, 64), 7_665, 10),
    "W4": (lambda: cnn(1, [(2, 5, 1), (4, 3, 1), (8, 3, 1)], 8, 2), (1, 28, 28), 10_000, 50),
}


def epoch(model, optim, loss_fn, x, y, batch):
    for start in range(0, len(x), batch):
        optim.zero_grad()
        loss = loss_fn(model(x[start:start + batch]), y[start:start + batch])
        loss.backward()
        optim.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for wid in args.workloads.split(","):
        build, shape, n, batch = WORKLOADS[wid]
        model = build()
        classes = model[-1].out_features
        x = torch.randn(n, *shape)
        y = torch.randint(0, classes, (n,))
        optim = torch.optim.SGD(model.parameters(), lr=1e-5)
        loss_fn = nn.CrossEntropyLoss()
        epoch(model, optim, loss_fn, x, y, batch)  # warm-up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            epoch(model, optim, loss_fn, x, y, batch)
            times.append(time.perf_counter() - start)
        print(json.dumps({
            "workload": wid,
            "pytorch_epoch_s": round(statistics.median(times), 4),
            "torch": torch.__version__.split("+")[0],
            "threads": torch.get_num_threads(),
        }), flush=True)


if __name__ == "__main__":
    main()
