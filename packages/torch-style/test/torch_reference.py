"""Real PyTorch on the jobs classification.test.ts sends on stdin: full-batch SGD from given weights.

Prints each job's losses, one per step (the loss before that step's update), as JSON.
The fromLogits false losses are Keras' (tfjs-layers losses.ts), written with torch ops.
"""
import json
import sys

import torch
from torch import nn
from torch.nn import functional as F

EPS = 1e-7  # core's PROBABILITY_CLIP
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softmax": lambda: nn.Softmax(dim=1)}


def model_of(job):
    modules, inputs = [], job["inputs"]
    for layer, w in zip(job["layers"], job["weights"]):
        linear = nn.Linear(inputs, layer["units"])
        with torch.no_grad():
            # dualfit's kernel is [inputs, units]; nn.Linear's weight is [units, inputs].
            linear.weight.copy_(torch.tensor(w["kernel"], dtype=torch.float32).reshape(inputs, layer["units"]).T)
            linear.bias.copy_(torch.tensor(w["bias"], dtype=torch.float32))
        modules.append(linear)
        if layer["activation"] in ACTIVATIONS:
            modules.append(ACTIVATIONS[layer["activation"]]())
        inputs = layer["units"]
    return nn.Sequential(*modules)


def loss_of(job, out, y):
    if job["loss"] == "cross_entropy":
        if job["fromLogits"]:
            return F.cross_entropy(out, y.long())
        q = (out / out.sum(1, keepdim=True)).clamp(EPS, 1 - EPS)
        return -torch.log(q).gather(1, y.long()[:, None]).mean()
    t = y[:, None]
    if job["fromLogits"]:
        return F.binary_cross_entropy_with_logits(out, t)
    p = out.clamp(EPS, 1 - EPS)
    return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()


def run(job):
    model = model_of(job)
    x = torch.tensor(job["x"], dtype=torch.float32).reshape(-1, job["inputs"])
    y = torch.tensor(job["y"], dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=job["lr"])
    losses = []
    for _ in range(job["steps"]):
        opt.zero_grad()
        loss = loss_of(job, model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


torch.set_num_threads(1)
print(json.dumps([run(job) for job in json.load(sys.stdin)]))
