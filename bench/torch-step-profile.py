"""PyTorch's side of bench/profile-step.js: one SGD step of torchvision's densenet169 (5 classes)
at 256x256, batch 2, on the CPU with as many threads as the machine has cores, timed (median of
five steps after two warm-up ones) and profiled with torch.profiler: each ATen op's self time, the
time spent in the op itself, not in the ops it calls.

Run with Debian's python3-torch (1.13) and python3-torchvision:  /usr/bin/python3 bench/torch-step-profile.py
Prints one JSON object: torch version, threads, step seconds, and {op: [calls, self ms]}.
"""
import json
import os
import time

import torch
import torchvision
from torch.profiler import ProfilerActivity, profile

torch.set_num_threads(os.cpu_count() or 1)
torch.manual_seed(0)
model = torchvision.models.densenet169(num_classes=5)
model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
x = torch.randn(2, 3, 256, 256)
target = torch.tensor([0, 1])


def step():
    loss = torch.nn.functional.cross_entropy(model(x), target)
    opt.zero_grad()
    loss.backward()
    opt.step()


for _ in range(2):
    step()
times = []
for _ in range(5):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    step()
ops = {e.key: [e.count, e.self_cpu_time_total / 1000] for e in prof.key_averages()}
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(),
                  'seconds': sorted(times)[len(times) // 2], 'ops': ops}))
