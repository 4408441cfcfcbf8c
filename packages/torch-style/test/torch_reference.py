"""Real PyTorch on the jobs the tests send on stdin, from given weights.

A job trains `steps` full-batch epochs with SGD at `lr` (classification.test.ts), or, with
`optimizer` (core's TrainOptimizer under init torch, every field resolved), `schedule` (core's
ScheduleSpec) and `batches` (each epoch's batches of row indices), torch.optim and
torch.optim.lr_scheduler as a hand-written loop runs them (optim-torch.test.ts). Layers' l2 adds
l2 * sum(weight ** 2) to the loss, as Keras' kernel_regularizer does.
Prints per job {"losses", "lrs"}: each epoch's loss (its batches' losses before their updates,
weighted by batch size) and the lr it ran at, as JSON.
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
    if job["loss"] == "mse":
        return F.mse_loss(out, y.reshape(out.shape))
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


def optimizer_of(job, params):
    o = job.get("optimizer") or {"name": "sgd", "lr": job["lr"], "momentum": 0}
    name, lr, wd = o["name"], o["lr"], o.get("weightDecay") or 0
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o["momentum"], nesterov=o.get("nesterov", False), weight_decay=wd)
    if name in ("adam", "adamw"):
        adam = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return adam(params, lr=lr, betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=lr, alpha=o["rho"], eps=o["eps"], weight_decay=wd, momentum=o["momentum"], centered=o["centered"]
        )
    return torch.optim.Adagrad(params, lr=lr, eps=o["eps"], weight_decay=wd, initial_accumulator_value=o["initialAccumulator"])


def scheduler_of(s, opt):
    """The scheduler and how to step it after an epoch with its loss."""
    sched = torch.optim.lr_scheduler
    if s is None:
        return lambda loss: None
    if s["name"] == "plateau":
        p = sched.ReduceLROnPlateau(
            opt,
            mode="min",
            factor=s["factor"],
            patience=s["patience"],
            threshold=s["threshold"],
            threshold_mode="rel",
            cooldown=s["cooldown"],
            min_lr=s["minLr"],
        )
        return p.step
    if s["name"] == "step":
        e = sched.StepLR(opt, step_size=s["stepSize"], gamma=s["gamma"])
    elif s["name"] == "exponential":
        e = sched.ExponentialLR(opt, gamma=s["gamma"])
    else:
        e = sched.CosineAnnealingLR(opt, T_max=s["tMax"], eta_min=s["minLr"])
    return lambda loss: e.step()


def run(job):
    model = model_of(job)
    x = torch.tensor(job["x"], dtype=torch.float32).reshape(-1, job["inputs"])
    y = torch.tensor(job["y"], dtype=torch.float32)
    opt = optimizer_of(job, model.parameters())
    after_epoch = scheduler_of(job.get("schedule"), opt)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    l2 = [(layer.get("l2") or 0, linear) for layer, linear in zip(job["layers"], linears)]
    epochs = job.get("batches") or [[list(range(len(x)))]] * job.get("steps", 0)
    losses, lrs = [], []
    for batches in epochs:
        lrs.append(opt.param_groups[0]["lr"])
        total, seen = 0.0, 0
        for rows in batches:
            idx = torch.tensor(rows)
            opt.zero_grad()
            loss = loss_of(job, model(x[idx]), y[idx])
            for lam, linear in l2:
                if lam > 0:
                    loss = loss + lam * (linear.weight**2).sum()
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
            seen += len(rows)
        losses.append(total / seen)
        after_epoch(losses[-1])
    return {"losses": losses, "lrs": lrs}


torch.set_num_threads(1)
print(json.dumps([run(job) for job in json.load(sys.stdin)]))
