"""PyTorch's side of bench/train-step.js's memory rows: one SGD step of torchvision's densenet169
(5 classes) at 256x256, batch 2, in train mode, with memory_efficient off and on.

Without a CUDA device there is no peak-memory counter, so this measures what a GPU would hold at
the start of backward, its peak for a CNN: the tensors autograd saved for backward (counted once
per storage through torch.autograd.graph.saved_tensors_hooks; a ReLU in place shares its
input's storage) plus the parameters, their gradients and SGD's momentum.

Run with Debian's python3-torch (1.13) and python3-torchvision:  /usr/bin/python3 bench/torch-memory.py
Prints one JSON object per configuration.
"""
import json

import torch
import torchvision


def measure(memory_efficient):
    torch.manual_seed(0)
    model = torchvision.models.densenet169(num_classes=5, memory_efficient=memory_efficient)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(2, 3, 256, 256)
    target = torch.tensor([0, 1])
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
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    # Parameters, gradients and momentum buffers: three copies of the parameters.
    return {
        'config': f"torchvision densenet169{' memory_efficient' if memory_efficient else ''}",
        'torch': torch.__version__, 'input': '2x3x256x256',
        'saved_activation_bytes': saved, 'param_grad_momentum_bytes': 3 * params,
        'total_bytes': saved + 3 * params,
    }


for me in (False, True):
    print(json.dumps(measure(me)))
