"""dualfit's PyTorch worker: trains, predicts and saves Dense models for @dualfit/pytorch.

Started by the TypeScript side as `python dualfit_torch.py` (one process per backend instance,
reused across trials) or `python dualfit_torch.py --probe` (prints one JSON line,
{"torch", "python", "cuda", "device" (with CUDA)}, and exits; engines' availability).

Protocol
========
One JSON object per line each way, UTF-8. stdin carries requests (TS -> python), stdout carries
replies (python -> TS); anything else the process prints goes to stderr. Requests are handled one
at a time, in order; the TS side sends the next one only after the previous one is answered.

Arrays are base64 strings of little-endian float32 values (`uint32` for sample orders), row-major.
Layer weights are in PyTorch's layout: `{"weight": [units, inputs], "bias": [units]}` (the TS side
transposes from and to dualfit's [inputs, units] kernels). Non-finite numbers (loss, valLoss) are
sent as the strings "NaN", "Infinity", "-Infinity".

Once torch is imported, before reading any request, the process announces itself:

  {"ready": true, "torch": "1.13.0", "python": "3.11.2", "cuda": false}

Requests all have `id` (an integer, echoed in every reply about that request) and `op`:

  {"id", "op": "train", "engine": "cpu"|"cuda",
        "model": {"inputs", "layers": [{"units", "activation", "l2" (optional: λ Σ kernel² added to the loss)}]},
        "loss": {"name": "mse"|"mae"|"huber"|"cross_entropy"|"binary_cross_entropy", "delta",
                 "fromLogits": bool (classification losses; default true)},
        "optimizer": {"name": "sgd"|"adam"|"adamw"|"rmsprop"|"adagrad", "lr", "beta1", "beta2",
                      "eps", "momentum", "nesterov", "rho", "centered", "initialAccumulator",
                      "weightDecay" (numbers and booleans, every one resolved by the TS side),
                      "adamEpsilon": "sqrt(v_hat) + eps"|"sqrt(v) + eps_hat",
                      "rootEpsilon": "sqrt(v) + eps"|"sqrt(v + eps)",
                      "momentumForm": "v = m v + g; w -= lr v"|"v = m v - lr g; w += v",
                      "decay": "decoupled"|"gradient"},
        "schedule": {"name": "step"|"exponential"|"cosine"|"plateau", its fields (core's ScheduleSpec),
                     "semantics": "keras"|"torch"} | null,
        "epochs", "batchSize",
        "data": {"n", "inputs", "outputs", "x": b64, "y": b64}, "validation": {...} | null,
        "initialWeights": [{"weight": b64, "bias": b64}] | null,
        "order": b64 (epoch 0's order, uint32) | null,
        "seed"}
      After each epoch e:
        python -> {"id", "epoch": e, "loss": number, "valLoss": number (only with validation),
                   "lr": number (the lr epoch e ran at; only with a schedule)}
        TS     -> {"id", "weights": true} (optional, any number of times: core wants this epoch's
                   weights) answered by python -> {"id", "epoch": e, "weights": [{"weight": b64,
                   "bias": b64}]} (the weights after the epoch's last step); then
        TS     -> {"id", "stop": bool, "order": b64 (epoch e+1's order; omitted when stopping,
                   after the last epoch, or when the request's order was null),
                   "abort": true (optional: the TS side failed, end with an error)}
      Finally:
        -> {"id", "ok": true, "weights": [{"weight": b64, "bias": b64}] (after the last epoch),
            "steps", "setupMs"}
  {"id", "op": "predict", "engine", "model": {"inputs", "layers", "weights": [...]}, "n", "x": b64}
      -> {"id", "ok": true, "y": b64}   ([n, outputs] float32: the last layer's raw outputs, logits or
                                          softmax/sigmoid probabilities)
  {"id", "op": "save", "model": {...}}
      -> {"id", "ok": true, "data": b64}   (the bytes of torch.save(model.state_dict()))
  {"id", "op": "exit"}
      -> {"id", "ok": true}, then the process exits. It also exits at the end of stdin.

Any failure of a request: {"id", "ok": false, "error": "one line"}; the process stays usable.

Under a classification loss y is one column of class indices (0 .. K-1 as float32, K the last
layer's units; 0/1 for binary_cross_entropy), whatever the last layer's width.

Training is the plain PyTorch loop (nn.Sequential of nn.Linear and activations, the loss module,
a torch.optim optimizer, zero_grad / backward / step per batch, an lr_scheduler stepped per
epoch), in float32, with
torch.set_num_threads(1) and torch.use_deterministic_algorithms(True) so runs repeat bit for bit.
With `initialWeights` and `order` null (dualfit's init 'framework'), weights come from
torch.manual_seed(seed) and nn.Linear's own initialization, and batches from a shuffling
DataLoader, exactly as a script that seeds, builds the model and iterates a DataLoader would.
Where the job asks for a formula torch.optim lacks (Keras' epsilon placements, momentum form or
decoupled weight decay), a small Optimizer subclass below applies Keras' own; a schedule in Keras'
semantics is set per epoch by KerasSchedule, in PyTorch's by torch.optim.lr_scheduler.
"""

import base64
import io
import json
import math
import os
import sys
import time

# Deterministic cuBLAS (only read on CUDA); must be set before CUDA initializes.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

PROTOCOL_OUT = sys.stdout
# Stray prints (ours or a library's) must not corrupt the protocol stream.
sys.stdout = sys.stderr

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass  # already set (cannot change once inter-op work started)
torch.use_deterministic_algorithms(True)

LITTLE = sys.byteorder == "little"


class Abort(Exception):
    pass


# ---------------------------------------------------------------------------- encoding


def decode_f32(s, shape):
    buf = bytearray(base64.b64decode(s))
    count = 1
    for d in shape:
        count *= d
    if len(buf) != 4 * count:
        raise ValueError(f"expected {count} float32 value(s) for shape {list(shape)}, got {len(buf) // 4}")
    if count == 0:
        return torch.zeros(shape, dtype=torch.float32)
    t = torch.frombuffer(buf, dtype=torch.float32)
    if not LITTLE:
        t = t.view(torch.int32).byteswap().view(torch.float32)  # pragma: no cover
    return t.reshape(shape).clone()


def decode_order(s, n):
    buf = bytearray(base64.b64decode(s))
    if len(buf) != 4 * n:
        raise ValueError(f"order: expected {n} index(es), got {len(buf) // 4}")
    # Indices are < n < 2**31, so int32 reads uint32 values unchanged.
    order = torch.frombuffer(buf, dtype=torch.int32).to(torch.long)
    if n > 0 and (int(order.min()) < 0 or int(order.max()) >= n):
        raise ValueError(f"order: indices must be in [0, {n})")
    return order


def encode_f32(t):
    t = t.detach().to("cpu", torch.float32).contiguous().reshape(-1)
    try:
        raw = t.numpy().astype("<f4", copy=False).tobytes()
    except Exception:  # no numpy
        import array

        a = array.array("f", t.tolist())
        if not LITTLE:
            a.byteswap()  # pragma: no cover
        raw = a.tobytes()
    return base64.b64encode(raw).decode("ascii")


def number(v):
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def send(msg):
    PROTOCOL_OUT.write(json.dumps(msg, allow_nan=False, separators=(",", ":")) + "\n")
    PROTOCOL_OUT.flush()


def receive():
    line = sys.stdin.readline()
    if not line:
        return None
    return json.loads(line)


# ---------------------------------------------------------------------------- model


ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softmax": lambda: nn.Softmax(dim=1)}


def build_model(inputs, layers):
    """nn.Sequential(Linear, activation, Linear, ...): PyTorch's initialization, from its RNG."""
    modules = []
    width = inputs
    for layer in layers:
        modules.append(nn.Linear(width, layer["units"]))
        act = layer.get("activation", "linear")
        if act != "linear":
            if act not in ACTIVATIONS:
                raise ValueError(f"unknown activation '{act}'")
            modules.append(ACTIVATIONS[act]())
        width = layer["units"]
    return nn.Sequential(*modules)


def linears(model):
    return [m for m in model if isinstance(m, nn.Linear)]


def load_weights(model, weights):
    lins = linears(model)
    if len(weights) != len(lins):
        raise ValueError(f"expected weights for {len(lins)} layer(s), got {len(weights)}")
    with torch.no_grad():
        for lin, w in zip(lins, weights):
            lin.weight.copy_(decode_f32(w["weight"], (lin.out_features, lin.in_features)))
            lin.bias.copy_(decode_f32(w["bias"], (lin.out_features,)))


def weights_of(model):
    return [{"weight": encode_f32(lin.weight), "bias": encode_f32(lin.bias)} for lin in linears(model)]


def model_from(spec, device):
    model = build_model(spec["inputs"], spec["layers"])
    load_weights(model, spec["weights"])
    return model.to(device)


def device_of(engine):
    if engine == "cpu":
        return torch.device("cpu")
    if engine == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("engine 'cuda': torch sees no CUDA device")
        return torch.device("cuda")
    raise ValueError(f"unknown engine '{engine}' (expected cpu or cuda)")


# Keras' backend epsilon (core's PROBABILITY_CLIP): probabilities are clipped to [CLIP, 1 - CLIP].
CLIP = 1e-7


def keras_cross_entropy(p, target):
    """tfjs-layers losses.ts categoricalCrossentropy, fromLogits=false: p / sum(p), clipped, then nll."""
    p = torch.clamp(p / p.sum(1, keepdim=True), CLIP, 1 - CLIP)
    return nn.functional.nll_loss(torch.log(p), target)


def keras_binary_cross_entropy(p, target):
    """Keras' binary_crossentropy, from_logits=False: p clipped, then -(t log p + (1 - t) log(1 - p))."""
    p = torch.clamp(p, CLIP, 1 - CLIP)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()


def labels(y, classes):
    """y's one column of class indices, checked to be whole numbers in [0, classes)."""
    if y.shape[1] != 1:
        raise ValueError(f"y: expected one column of class indices, got {y.shape[1]} columns")
    t = y[:, 0]
    if t.numel() and (bool((t != t.round()).any()) or int(t.min()) < 0 or int(t.max()) >= classes):
        raise ValueError(f"y: expected class indices 0 to {classes - 1}")
    return t


def criterion_for(loss, classes):
    """The loss module (mean reduction) and how it takes y [n, outputs]; classes: the last layer's units."""
    name = loss["name"]
    logits = loss.get("fromLogits", True)
    if name == "cross_entropy":
        # CrossEntropyLoss and nll_loss take long class indices [n].
        return (nn.CrossEntropyLoss() if logits else keras_cross_entropy), lambda y: labels(y, classes).long()
    if name == "binary_cross_entropy":
        # One output unit: float 0/1 targets shaped [n, 1] like it.
        return (nn.BCEWithLogitsLoss() if logits else keras_binary_cross_entropy), lambda y: labels(y, 2)[:, None]
    if name == "mse":
        return nn.MSELoss(), lambda y: y
    if name == "mae":
        return nn.L1Loss(), lambda y: y
    if name == "huber":
        return nn.HuberLoss(delta=float(loss.get("delta", 1.0))), lambda y: y
    raise ValueError(f"unknown loss '{name}'")


# ---------------------------------------------------------------------------- optimizers
#
# torch.optim where its formula is the one asked for; otherwise a small Optimizer of Keras' formula
# (keras/src/optimizers/*.py, Keras 3), in float32 like the parameters. Each reads group["lr"] at
# every step, so lr schedulers drive them as they drive torch.optim's.

TORCH_MOMENTUM = "v = m v + g; w -= lr v"
TORCH_ROOT = "sqrt(v) + eps"
TORCH_ADAM = "sqrt(v_hat) + eps"


def decayed(p, wd):
    """The gradient with L2 decay added (g + wd w), as torch.optim's weight_decay argument does."""
    return p.grad if wd == 0 else p.grad.add(p, alpha=wd)


class KerasSGD(torch.optim.Optimizer):
    """keras/src/optimizers/sgd.py: v = m v - lr g; w += v (nesterov: w += m v - lr g, v updated first)."""

    def __init__(self, params, lr, momentum, nesterov, weight_decay):
        super().__init__(params, {"lr": lr, "momentum": momentum, "nesterov": nesterov, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, m = group["lr"], group["momentum"]
            for p in group["params"]:
                g = decayed(p, group["weight_decay"])
                v = self.state[p].setdefault("momentum", torch.zeros_like(p))
                v.mul_(m).sub_(g * lr)
                p.add_(v * m - g * lr if group["nesterov"] else v)


class KerasAdam(torch.optim.Optimizer):
    """keras/src/optimizers/adam.py: alpha = lr sqrt(1 - b2^t) / (1 - b1^t); w -= alpha m / (sqrt(v) + eps)."""

    def __init__(self, params, lr, betas, eps, weight_decay):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                g = decayed(p, group["weight_decay"])
                state = self.state[p]
                if not state:
                    state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["t"] += 1
                t, m, v = state["t"], state["m"], state["v"]
                alpha = group["lr"] * math.sqrt(1 - b2**t) / (1 - b1**t)
                m.add_((g - m) * (1 - b1))
                v.add_((g * g - v) * (1 - b2))
                p.sub_(m * alpha / (v.sqrt() + group["eps"]))


class KerasRMSprop(torch.optim.Optimizer):
    """keras/src/optimizers/rmsprop.py: v = rho v + (1 - rho) g^2 (centered: minus a^2, a = rho a + (1 - rho) g);
    d = sqrt(v + eps); momentum > 0: mom = m mom + lr g / d, w -= mom; else w -= lr g / d."""

    def __init__(self, params, lr, rho, eps, momentum, centered, weight_decay):
        defaults = {"lr": lr, "rho": rho, "eps": eps, "momentum": momentum, "centered": centered}
        super().__init__(params, {**defaults, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            rho, m = group["rho"], group["momentum"]
            for p in group["params"]:
                g = decayed(p, group["weight_decay"])
                state = self.state[p]
                if not state:
                    state.update(v=torch.zeros_like(p), a=torch.zeros_like(p), mom=torch.zeros_like(p))
                v = state["v"]
                v.mul_(rho).add_(g * g * (1 - rho))
                denominator = v + group["eps"]
                if group["centered"]:
                    a = state["a"]
                    a.mul_(rho).add_(g * (1 - rho))
                    denominator = v - a * a + group["eps"]
                increment = g * group["lr"] / denominator.sqrt()
                if m > 0:
                    increment = state["mom"].mul_(m).add_(increment)
                p.sub_(increment)


class KerasAdagrad(torch.optim.Optimizer):
    """keras/src/optimizers/adagrad.py: acc (from initial_accumulator_value) += g^2; w -= lr g / sqrt(acc + eps)."""

    def __init__(self, params, lr, eps, initial_accumulator_value, weight_decay):
        defaults = {"lr": lr, "eps": eps, "initial_accumulator_value": initial_accumulator_value}
        super().__init__(params, {**defaults, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                g = decayed(p, group["weight_decay"])
                acc = self.state[p].setdefault("acc", torch.full_like(p, group["initial_accumulator_value"]))
                acc.add_(g * g)
                p.sub_(g * group["lr"] / (acc + group["eps"]).sqrt())


def decoupled(base):
    """`base` with Keras 3's decoupled weight decay (keras/src/optimizers/base_optimizer.py,
    _apply_weight_decay: w -= w wd lr, before the update), as torch.optim.AdamW applies it."""

    class Decoupled(base):
        def __init__(self, params, decay, **kw):
            super().__init__(params, weight_decay=0, **kw)
            for group in self.param_groups:
                group["decay"] = decay

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    p.mul_(1 - group["lr"] * group["decay"])
            return super().step()

    return Decoupled


def optimizer_for(o, params):
    """The optimizer the TS side declared (every value and form resolved there: its settings(job))."""
    name, lr, wd = o["name"], float(o["lr"]), float(o["weightDecay"])
    momentum = float(o["momentum"])
    if name == "sgd":
        keras = momentum > 0 and o["momentumForm"] != TORCH_MOMENTUM
        cls = KerasSGD if keras else torch.optim.SGD
        kw = {"lr": lr, "momentum": momentum, "nesterov": bool(o["nesterov"])}
    elif name in ("adam", "adamw"):
        betas = (float(o["beta1"]), float(o["beta2"]))
        kw = {"lr": lr, "betas": betas, "eps": float(o["eps"])}
        if o["adamEpsilon"] == TORCH_ADAM:
            # torch/optim/adamw.py decays as Keras does (w *= 1 - lr wd, then Adam): no wrapper needed.
            optim = torch.optim.AdamW if o["decay"] == "decoupled" else torch.optim.Adam
            return optim(params, weight_decay=wd, **kw)
        cls = KerasAdam
    elif name == "rmsprop":
        torch_form = o["rootEpsilon"] == TORCH_ROOT
        if momentum > 0 and torch_form != (o["momentumForm"] == TORCH_MOMENTUM):
            raise ValueError("rmsprop: momentum form and epsilon placement must be one framework's")
        kw = {"lr": lr, "eps": float(o["eps"]), "momentum": momentum, "centered": bool(o["centered"])}
        # torch/optim/rmsprop.py calls rho alpha.
        kw[("alpha" if torch_form else "rho")] = float(o["rho"])
        cls = torch.optim.RMSprop if torch_form else KerasRMSprop
    elif name == "adagrad":
        kw = {"lr": lr, "eps": float(o["eps"]), "initial_accumulator_value": float(o["initialAccumulator"])}
        cls = torch.optim.Adagrad if o["rootEpsilon"] == TORCH_ROOT else KerasAdagrad
    else:
        raise ValueError(f"unknown optimizer '{name}'")
    if o["decay"] == "decoupled" and wd > 0:
        return decoupled(cls)(params, decay=wd, **kw)
    return cls(params, weight_decay=wd if o["decay"] == "gradient" else 0, **kw)


# ---------------------------------------------------------------------------- schedules


class KerasSchedule:
    """The lr per epoch in Keras' semantics, set on the optimizer after each epoch for the next:
    step (a LearningRateScheduler of lr0 gamma^floor(e / stepSize)), exponential (ExponentialDecay,
    one decay step per epoch), cosine (keras/src/optimizers/schedules/learning_rate_schedule.py,
    CosineDecay: holds minLr from tMax on) and plateau (keras/src/callbacks/reduce_lr_on_plateau.py:
    better when loss < best - min_delta, reduce after `patience` epochs that are not)."""

    def __init__(self, optimizer, s):
        self.optimizer, self.s = optimizer, s
        self.lr0 = optimizer.param_groups[0]["lr"]
        self.epoch, self.best, self.wait, self.cooldown = 0, math.inf, 0, 0

    def set(self, lr):
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def step(self, loss):
        s, lr0 = self.s, self.lr0
        self.epoch += 1
        e = self.epoch
        if s["name"] == "step":
            self.set(lr0 * s["gamma"] ** (e // s["stepSize"]))
        elif s["name"] == "exponential":
            self.set(lr0 * s["gamma"] ** e)
        elif s["name"] == "cosine":
            cosine = (1 + math.cos(math.pi * min(e, s["tMax"]) / s["tMax"])) / 2
            self.set(s["minLr"] + (lr0 - s["minLr"]) * cosine)
        else:
            self.plateau(loss)

    def plateau(self, loss):
        s = self.s
        if self.cooldown > 0:
            self.cooldown -= 1
            self.wait = 0
        if loss < self.best - s["threshold"]:
            self.best, self.wait = loss, 0
        elif self.cooldown == 0:
            self.wait += 1
            lr = self.optimizer.param_groups[0]["lr"]
            if self.wait >= s["patience"] and lr > s["minLr"]:
                self.set(max(lr * s["factor"], s["minLr"]))
                self.cooldown, self.wait = s["cooldown"], 0


class TorchSchedule:
    """torch.optim.lr_scheduler's own: StepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau
    (mode min, relative threshold), stepped once per epoch (plateau on the epoch's training loss)."""

    def __init__(self, optimizer, s):
        lrs = torch.optim.lr_scheduler
        name = s["name"]
        if name == "step":
            self.scheduler = lrs.StepLR(optimizer, step_size=int(s["stepSize"]), gamma=float(s["gamma"]))
        elif name == "exponential":
            self.scheduler = lrs.ExponentialLR(optimizer, gamma=float(s["gamma"]))
        elif name == "cosine":
            self.scheduler = lrs.CosineAnnealingLR(optimizer, T_max=int(s["tMax"]), eta_min=float(s["minLr"]))
        elif name == "plateau":
            self.scheduler = lrs.ReduceLROnPlateau(
                optimizer,
                mode="min",
                factor=float(s["factor"]),
                patience=int(s["patience"]),
                threshold=float(s["threshold"]),
                threshold_mode="rel",
                cooldown=int(s["cooldown"]),
                min_lr=float(s["minLr"]),
            )
        else:
            raise ValueError(f"unknown schedule '{name}'")
        self.plateau = name == "plateau"

    def step(self, loss):
        self.scheduler.step(loss) if self.plateau else self.scheduler.step()


def schedule_for(s, optimizer):
    if s is None:
        return None
    semantics = {"keras": KerasSchedule, "torch": TorchSchedule}
    if s["semantics"] not in semantics:
        raise ValueError(f"schedule semantics '{s['semantics']}': expected keras or torch")
    return semantics[s["semantics"]](optimizer, s)


def with_l2(criterion, model, layers):
    """Keras' kernel_regularizer l2(λ) per layer: λ Σ kernel^2 (kernels, not biases) added to the loss,
    which Keras differentiates and reports, for training and validation alike."""
    terms = [(float(l["l2"]), lin) for lin, l in zip(linears(model), layers) if l.get("l2")]
    if not terms:
        return criterion
    return lambda out, y: criterion(out, y) + sum(lam * lin.weight.square().sum() for lam, lin in terms)


def split_of(d, device, targets):
    n, i, o = int(d["n"]), int(d["inputs"]), int(d["outputs"])
    return decode_f32(d["x"], (n, i)).to(device), targets(decode_f32(d["y"], (n, o))).to(device)


# ---------------------------------------------------------------------------- requests


def decide(rid, epoch, model):
    """The TS side's decision after an epoch, answering its requests for the weights first."""
    while True:
        decision = receive()
        if decision is None:
            raise Abort("stdin closed during training")
        if decision.get("abort"):
            raise Abort("aborted by the caller")
        if not decision.get("weights"):
            return decision
        send({"id": rid, "epoch": epoch, "weights": weights_of(model)})


def train(req):
    start = time.perf_counter()
    rid = req["id"]
    device = device_of(req["engine"])
    torch.manual_seed(int(req["seed"]))
    spec = req["model"]
    model = build_model(spec["inputs"], spec["layers"])  # nn.Linear's init: the framework's own
    if req.get("initialWeights") is not None:
        load_weights(model, req["initialWeights"])
    model = model.to(device)
    criterion, targets = criterion_for(req["loss"], int(spec["layers"][-1]["units"]))
    criterion = with_l2(criterion, model, spec["layers"])
    optimizer = optimizer_for(req["optimizer"], model.parameters())
    schedule = schedule_for(req.get("schedule"), optimizer)
    x, y = split_of(req["data"], device, targets)
    n = x.shape[0]
    validation = split_of(req["validation"], device, targets) if req.get("validation") else None
    batch_size = int(req["batchSize"])
    if batch_size < 1:
        raise ValueError(f"batchSize: expected a positive integer, got {batch_size}")
    harness_order = req.get("order") is not None
    order = decode_order(req["order"], n).to(device) if harness_order else None
    # init 'framework': a shuffling DataLoader over the row indices, seeded by torch.manual_seed.
    loader = None if harness_order else DataLoader(range(n), batch_size=batch_size, shuffle=True)
    setup_ms = (time.perf_counter() - start) * 1000

    steps = 0
    for epoch in range(int(req["epochs"])):
        model.train()
        lr = optimizer.param_groups[0]["lr"]  # what this epoch runs at
        total = 0.0
        seen = 0
        batches = order.split(batch_size) if harness_order else loader
        for rows in batches:
            rows = rows.to(device)
            xb, yb = x[rows], y[rows]
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
            seen += len(rows)
            steps += 1
        msg = {"id": rid, "epoch": epoch, "loss": number(total / seen)}
        if schedule is not None:
            msg["lr"] = lr
            schedule.step(total / seen)
        if validation is not None:
            model.eval()
            with torch.no_grad():
                msg["valLoss"] = number(criterion(model(validation[0]), validation[1]).item())
        send(msg)
        decision = decide(rid, epoch, model)
        if decision.get("stop"):
            break
        if harness_order and epoch + 1 < int(req["epochs"]):
            if decision.get("order") is None:
                raise ValueError(f"epoch {epoch + 1}: expected the next order in the decision")
            order = decode_order(decision["order"], n).to(device)
    return {"weights": weights_of(model), "steps": steps, "setupMs": setup_ms}


def predict(req):
    device = device_of(req["engine"])
    spec = req["model"]
    model = model_from(spec, device)
    model.eval()
    x = decode_f32(req["x"], (int(req["n"]), int(spec["inputs"]))).to(device)
    with torch.no_grad():
        return {"y": encode_f32(model(x))}


def save(req):
    model = model_from(req["model"], torch.device("cpu"))
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return {"data": base64.b64encode(buf.getvalue()).decode("ascii")}


def hello():
    return {
        "torch": torch.__version__,
        "python": ".".join(map(str, sys.version_info[:3])),
        "cuda": torch.cuda.is_available(),
    }


OPS = {"train": train, "predict": predict, "save": save}


def one_line(e):
    text = f"{type(e).__name__}: {e}" if not isinstance(e, Abort) else str(e)
    return " ".join(text.split())


def main():
    send({"ready": True, **hello()})
    while True:
        try:
            req = receive()
        except json.JSONDecodeError as e:
            send({"id": None, "ok": False, "error": one_line(e)})
            continue
        if req is None:
            return
        rid = req.get("id")
        op = req.get("op")
        if op == "exit":
            send({"id": rid, "ok": True})
            return
        try:
            if op not in OPS:
                raise ValueError(f"unknown op '{op}'")
            reply = OPS[op](req)
        except Exception as e:  # one request failed; the process stays usable
            send({"id": rid, "ok": False, "error": one_line(e)})
            continue
        send({"id": rid, "ok": True, **reply})


def probe():
    info = hello()
    if info["cuda"]:
        info["device"] = torch.cuda.get_device_name(0)
    send(info)


if __name__ == "__main__":
    if sys.argv[1:] == ["--probe"]:
        probe()
    else:
        main()
