"""The plain PyTorch training loop the backend must reproduce, written the usual way.

Reads one JSON job on stdin: {inputs, layers, loss, optimizer, epochs, batchSize, x, y (nested
lists), weights (Keras layout [inputs][units] per layer, or null), orders (one list per epoch, or
null), seed}. Prints {"loss": [...], "weights": [{"kernel", "bias"}]} (Keras layout) on stdout.
With weights and orders null: torch.manual_seed, nn.Linear's init and a shuffling DataLoader.
"""

import json
import sys

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

job = json.load(sys.stdin)
torch.manual_seed(job["seed"])

modules = []
width = job["inputs"]
for layer in job["layers"]:
    modules.append(nn.Linear(width, layer["units"]))
    act = layer["activation"]
    if act != "linear":
        modules.append({"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[act]())
    width = layer["units"]
model = nn.Sequential(*modules)
linears = [m for m in model if isinstance(m, nn.Linear)]
if job["weights"] is not None:
    with torch.no_grad():
        for lin, w in zip(linears, job["weights"]):
            lin.weight.copy_(torch.tensor(w["kernel"], dtype=torch.float32).t())
            lin.bias.copy_(torch.tensor(w["bias"], dtype=torch.float32))

loss = job["loss"]
criterion = {"mse": nn.MSELoss(), "mae": nn.L1Loss(), "huber": nn.HuberLoss(delta=loss["delta"])}[loss["name"]]
o = job["optimizer"]
if o["name"] == "adam":
    optimizer = torch.optim.Adam(model.parameters(), lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"] or 1e-8)
else:
    optimizer = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o["momentum"])

x = torch.tensor(job["x"], dtype=torch.float32)
y = torch.tensor(job["y"], dtype=torch.float32)
bs = job["batchSize"]
if job["orders"] is None:
    loader = DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=True)
history = []
for epoch in range(job["epochs"]):
    if job["orders"] is None:
        batches = loader
    else:
        order = torch.tensor(job["orders"][epoch])
        batches = [(x[rows], y[rows]) for rows in order.split(bs)]
    total, seen = 0.0, 0
    for xb, yb in batches:
        optimizer.zero_grad()
        batch_loss = criterion(model(xb), yb)
        batch_loss.backward()
        optimizer.step()
        total += batch_loss.item() * len(xb)
        seen += len(xb)
    history.append(total / seen)

out = [{"kernel": lin.weight.detach().t().contiguous().reshape(-1).tolist(), "bias": lin.bias.detach().tolist()} for lin in linears]
print(json.dumps({"loss": history, "weights": out}))
