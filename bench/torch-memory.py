"""PyTorch's side of bench/train-step.js's memory rows: one SGD step of torchvision's densenet169
(5 classes) at 256x256, batch 2, in train mode, with memory_efficient off and on; with
`--resnet50 SIZE`, also torchvision's resnet50 (5 classes) at SIZExSIZE, batch 8, with the seconds
of a step (the median of three after one warm-up, on every core this process may use) for the ResNet50
row's speed beside ours.

Without a CUDA device there is no peak-memory counter, so this measures what a GPU would hold at
the start of backward, its peak for a CNN: the tensors autograd saved for backward (counted once
per storage through torch.autograd.graph.saved_tensors_hooks; a ReLU in place shares its
input's storage) plus the parameters, their gradients and SGD's momentum.

Run with Debian's python3-torch (1.13) and python3-torchvision:
    /usr/bin/python3 bench/torch-memory.py [--no-densenet] [--resnet50 SIZE]
Prints one JSON object per configuration.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torchvision


def step_memory(model, batch, size, timed_steps=0):
    """Saved activations and parameter copies of one SGD step; with timed_steps, also the median
    seconds of that many further steps after the first (which is the warm-up)."""
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(batch, 3, size, size)
    target = torch.arange(batch) % 5
    storages = {}

    def pack(t):
        s = t.storage()
        storages[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = torch.nn.functional.cross_entropy(model(x), target)
    saved = sum(storages.values())
    loss.backward()
    opt.step()
    seconds = []
    for _ in range(timed_steps):
        start = time.perf_counter()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), target).backward()
        opt.step()
        seconds.append(time.perf_counter() - start)
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    # Parameters, gradients and momentum buffers: three copies of the parameters.
    out = {
        'torch': torch.__version__, 'input': f'{batch}x3x{size}x{size}', 'batch': batch,
        'saved_activation_bytes': saved, 'param_grad_momentum_bytes': 3 * params,
        'total_bytes': saved + 3 * params,
    }
    if timed_steps:
        out['seconds_per_step'] = statistics.median(seconds)
        out['threads'] = torch.get_num_threads()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--no-densenet', action='store_true')
    parser.add_argument('--resnet50', type=int, metavar='SIZE')
    args = parser.parse_args()
    # Every core this process may use, as lavapipe does: OpenMP's own default here was sometimes 1.
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    if not args.no_densenet:
        for me in (False, True):
            torch.manual_seed(0)
            model = torchvision.models.densenet169(num_classes=5, memory_efficient=me)
            print(json.dumps({'config': f"torchvision densenet169{' memory_efficient' if me else ''}", **step_memory(model, 2, 256)}))
    if args.resnet50:
        torch.manual_seed(0)
        model = torchvision.models.resnet50(num_classes=5)
        print(json.dumps({'config': 'torchvision resnet50', **step_memory(model, 8, args.resnet50, timed_steps=3)}))


if __name__ == '__main__':
    main()
