"""Real PyTorch, side by side with dualfit in one `pnpm bench` run: the same workloads as plain loops.

    /usr/bin/python3 benchmarks/reference/pytorch_bench.py TASK [JSON-PARAMS]

TASK is one of
    probe      the interpreter and torch versions (fails without torch)
    step       us per optimizer step on the seed data, Linear(1,1), MSE, Adam lr 0.01, batch 7 and 1
               params: {"chunks": 15, "perChunk": 2000, "warmUp": 5000}
    protocols  the seed's two protocols as plain loops
               params: {"kerasEpochs": 500, "torchEpochs": 100}
    scaling    per-epoch times of one workload
               params: {"n": 100000, "batch": 32 | "full", "inputs": 1, "hidden": [64, 64],
                        "classes": null | 10, "epochs": 3, "data": "x.f32"}
               where data holds n rows of `inputs` float32 x values, then n float32 y values (class
               indices when classes is set: CrossEntropyLoss on the logits; else MSE)
    startup    imports torch, runs one optimizer step, exits (the runner times the whole process)

and prints one JSON object on its last stdout line, always with "maxRssKb" (getrusage ru_maxrss).
Raw samples come back unreduced: the runner computes every statistic with the same code it uses for
dualfit's rows. One thread (torch.set_num_threads(1)), as dualfit's engines run. With
DUALFIT_TORCH_DEVICE=cuda (`pnpm bench --device gpu`) models and data live on the GPU where torch
sees one; `probe` says which device ran and, on the CPU, why.
(Debian: apt-get install -y python3-torch)
"""
import json
import os
import resource
import sys
import time

import torch
from torch import nn

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # already set (or parallel work already started)
    pass


def pick_device():
    """CUDA when asked and torch sees a device; otherwise the CPU and why."""
    if os.environ.get("DUALFIT_TORCH_DEVICE") != "cuda":
        return torch.device("cpu"), None
    if torch.version.cuda is None:
        return torch.device("cpu"), f"torch {torch.__version__} is built without CUDA"
    if not torch.cuda.is_available():
        return torch.device("cpu"), "torch sees no CUDA device (torch.cuda.is_available() is False)"
    return torch.device("cuda"), None


DEVICE, DEVICE_WHY = pick_device()

# The seed article's 7 points (meters -> feet), as in @dualfit/core's meters-feet.
SEED_X = [1.0, 8.0, 4.0, 5.0, 12.0, 10.0, 17.0]
SEED_Y = [3.28084, 26.24672, 13.12336, 16.4042, 39.37008, 32.8084, 55.77428]


def now_ms():
    return time.perf_counter() * 1000.0


def seed_data():
    return torch.tensor(SEED_X, device=DEVICE).reshape(-1, 1), torch.tensor(SEED_Y, device=DEVICE).reshape(-1, 1)


def step_task(p):
    chunks, per_chunk, warm_up = p.get("chunks", 15), p.get("perChunk", 2000), p.get("warmUp", 5000)
    x, y = seed_data()
    cases = []
    for batch in (7, 1):
        torch.manual_seed(0)
        model = nn.Linear(1, 1).to(DEVICE)
        criterion = nn.MSELoss()
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        # The seed data cut into batches, visited in turn (batch 1 cycles through the 7 rows).
        data = [(x[i : i + batch], y[i : i + batch]) for i in range(0, len(x) - batch + 1, batch)]
        state = {"step": 0}

        def run(steps):
            for _ in range(steps):
                xb, yb = data[state["step"] % len(data)]
                state["step"] += 1
                opt.zero_grad()
                loss = criterion(model(xb), yb)
                loss.backward()
                opt.step()
                loss.item()

        run(warm_up)
        us = []
        for _ in range(chunks):
            t = now_ms()
            run(per_chunk)
            us.append((now_ms() - t) * 1000.0 / per_chunk)
        cases.append({"batch": batch, "steps": chunks * per_chunk, "chunkUs": us})
    return {"cases": cases}


class Stopper:
    """Keras 3's EarlyStopping on the training loss (restore_best_weights off): as core's rule."""

    def __init__(self, patience, min_delta):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.wait = float("inf"), 0

    def update(self, value):
        if value != value or value in (float("inf"), float("-inf")):
            return True
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
            return False
        self.wait += 1
        return self.wait >= self.patience


def fit(x, y, lr, eps, epochs, batch, shuffle, seed, stopper=None):
    """A plain training loop; returns (model, last epoch loss, steps)."""
    torch.manual_seed(seed)
    model = nn.Linear(1, 1).to(DEVICE)
    criterion = nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=eps)
    n = len(x)
    batch = n if batch == "full" else min(batch, n)
    gen = torch.Generator().manual_seed(seed)
    steps, epoch_loss = 0, float("nan")
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen).to(DEVICE) if shuffle else None
        total = 0.0
        for i in range(0, n, batch):
            if order is None:
                xb, yb = x[i : i + batch], y[i : i + batch]
            else:
                idx = order[i : i + batch]
                xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
            steps += 1
        epoch_loss = total / n
        if stopper is not None and stopper.update(epoch_loss):
            break
    return model, epoch_loss, steps


def kfold(n, k):
    """scikit-learn KFold without shuffling: the first n % k folds one larger."""
    folds, start = [], 0
    for f in range(k):
        size = n // k + (1 if f < n % k else 0)
        test = list(range(start, start + size))
        folds.append(([i for i in range(n) if i not in test], test))
        start += size
    return folds


def keras_protocol(epochs):
    """6 lr x 3-fold CV x `epochs` (batch 1, shuffled), refit the best lr, then early stopping."""
    x, y = seed_data()
    lrs, eps = [0.001, 0.01, 0.1, 0.2, 0.25, 0.3], 1e-7
    steps, scores = 0, []
    for lr in lrs:
        mses = []
        for f, (train, test) in enumerate(kfold(len(x), 3)):
            model, _, s = fit(x[train], y[train], lr, eps, epochs, 1, True, f)
            steps += s
            with torch.no_grad():
                mses.append(float(((model(x[test]) - y[test]) ** 2).mean()))
        mean = sum(mses) / len(mses)
        scores.append(mean if mean == mean else float("inf"))
    best = lrs[scores.index(min(scores))]
    _, _, s = fit(x, y, best, eps, epochs, 1, True, 0)
    steps += s
    _, _, s = fit(x, y, best, eps, epochs, 1, True, 0, Stopper(7, 1e-4))
    return {"steps": steps + s, "lr": best}


def torch_protocol(epochs):
    """3 lr x `epochs` full batch, the lowest final loss wins, refit, then early stopping (patience 10)."""
    x, y = seed_data()
    lrs, eps = [0.1, 0.01, 0.001], 1e-8
    steps, finals = 0, []
    for lr in lrs:
        _, loss, s = fit(x, y, lr, eps, epochs, "full", False, 0)
        steps += s
        finals.append(loss if loss == loss else float("inf"))
    best = lrs[finals.index(min(finals))]
    _, _, s = fit(x, y, best, eps, epochs, "full", False, 0)
    steps += s
    _, _, s = fit(x, y, best, eps, epochs, "full", False, 0, Stopper(10, 0.0))
    return {"steps": steps + s, "lr": best}


def protocols_task(p):
    out = {}
    for name, run, epochs in (
        ("seed-keras", keras_protocol, p.get("kerasEpochs", 500)),
        ("seed-torch", torch_protocol, p.get("torchEpochs", 100)),
    ):
        t = now_ms()
        r = run(epochs)
        out[name] = {"ms": now_ms() - t, **r}
    return {"protocols": out}


def scaling_task(p):
    import numpy as np

    n, batch, hidden, epochs = p["n"], p["batch"], p.get("hidden", []), p["epochs"]
    inputs, classes = p.get("inputs", 1), p.get("classes")
    raw = torch.from_numpy(np.fromfile(p["data"], dtype=np.float32))
    if raw.numel() != (inputs + 1) * n:
        raise SystemExit(f"{p['data']}: expected {(inputs + 1) * n} float32 values, got {raw.numel()}")
    x = raw[: n * inputs].reshape(n, inputs)
    # Class indices as int64, CrossEntropyLoss's targets; converted once, outside the timings.
    y = raw[n * inputs :].long() if classes else raw[n * inputs :].reshape(-1, 1)
    x, y = x.to(DEVICE), y.to(DEVICE)
    torch.manual_seed(0)
    t = now_ms()
    layers, width = [], inputs
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, classes or 1)).to(DEVICE)
    criterion = nn.CrossEntropyLoss() if classes else nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    setup_ms = now_ms() - t
    size = n if batch == "full" else batch
    gen = torch.Generator().manual_seed(0)
    epoch_ms, losses, steps = [], [], 0
    for _ in range(epochs):
        t = now_ms()
        total = 0.0
        for i in range(0, n, size):
            if size >= n:
                # One batch per epoch: as dualfit's harness, rows keep their order (a shuffle would
                # only reorder a sum) and the data is used as it is, not gathered.
                idx, xb, yb = range(n), x, y
            else:
                if i == 0:
                    order = torch.randperm(n, generator=gen).to(DEVICE)  # shuffle=True, as dualfit's spec
                idx = order[i : i + size]
                xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            steps += 1
        epoch_ms.append(now_ms() - t)
        losses.append(total / n)
    return {"epochMs": epoch_ms, "setupMs": setup_ms, "steps": steps, "loss": losses}


def startup_task(_p):
    x, y = seed_data()
    model = nn.Linear(1, 1).to(DEVICE)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    opt.zero_grad()
    loss = nn.MSELoss()(model(x), y)
    loss.backward()
    opt.step()
    return {"loss": loss.item()}


def probe_task(_p):
    device = torch.cuda.get_device_name(DEVICE) if DEVICE.type == "cuda" else "cpu"
    return {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "device": device,
        **({"deviceWhy": DEVICE_WHY} if DEVICE_WHY else {}),
    }


TASKS = {
    "probe": probe_task,
    "step": step_task,
    "protocols": protocols_task,
    "scaling": scaling_task,
    "startup": startup_task,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        raise SystemExit(f"usage: pytorch_bench.py {{{','.join(TASKS)}}} [JSON-PARAMS]")
    params = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    result = TASKS[sys.argv[1]](params)
    result["maxRssKb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))
