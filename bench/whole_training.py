"""The pipeline's train stage, redone in PyTorch, to time a whole training against it.

Reads the resolved config (--config, JSON) and the prepare stage's train split (--prepared:
train_images.npy, dataset.json) and does what stages/train.ts does each epoch:

- a fresh shuffle of the fitted rows, cut into batches of train.batchSize (the last short),
  dynamically binarized when the data says so;
- per batch: eps ~ N(0, I), the loss (beta-KL with free bits and warm-up weight), backward,
  Adam (train.learningRate, beta1, beta2, epsilon), and the loss terms read back;
- after the batches: the validation -ELBO when train.validationFraction > 0, the mean
  log var of each latent dimension over the first 1,000 fitted rows (batches of 500), and a
  checkpoint of the weights and the optimizer written to --workdir and fsynced.

Timed: that epoch loop only (not the imports, the data load or the model's creation),
which is what the train stage records as its epochSeconds. Prints one JSON line.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

from torch_vae import Vae, fair_blas


def load(prepared):
    card = json.load(open(os.path.join(prepared, "dataset.json")))
    images = np.load(os.path.join(prepared, "train_images.npy"))
    return torch.from_numpy(images.reshape(len(images), -1).astype(np.float32)), card


def unsupported(config):
    """Why this script cannot stand for the config's training, or None."""
    model, loss = config["model"], config["loss"]
    if model["kind"] != "vae":
        return f"model.kind {model['kind']} (only vae is modelled here)"
    if loss["regularizer"] != "kl":
        return f"loss.regularizer {loss['regularizer']} (only kl is modelled here)"
    if model["likelihood"] == "gaussian" and model["gaussian"]["variance"] != "fixed":
        return "a learned Gaussian variance (only a fixed one is modelled here)"
    return None


def batches(images, rows, size, binarize):
    for start in range(0, len(rows), size):
        x = images[rows[start:start + size]]  # a copy, as the tfjs side assembles each batch
        yield torch.bernoulli(x) if binarize else x


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--prepared", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    config = json.load(open(args.config))
    problem = unsupported(config)
    if problem:
        sys.exit(f"whole_training.py: cannot train {problem}")
    core = fair_blas(args.threads)
    torch.manual_seed(config["seed"])
    images, card = load(args.prepared)
    m, loss, opts = config["model"], config["loss"], config["train"]
    model = Vae(images.shape[1], m["hidden"], m["latentDim"], m["activation"],
                m["likelihood"], m["gaussian"]["sigma"])
    adam = torch.optim.Adam(model.parameters(), lr=opts["learningRate"],
                            betas=(opts["beta1"], opts["beta2"]), eps=opts["epsilon"])
    n = len(images)
    held = math.floor(n * opts["validationFraction"] + 0.5)  # Math.round, as train.ts
    order = torch.randperm(n)
    validation, fit = order[:held].sort().values, order[held:].sort().values
    size, latent = opts["batchSize"], m["latentDim"]
    per_epoch = math.ceil(len(fit) / size)
    dynamic = card.get("binarize") == "dynamic"
    warmup = loss["warmupEpochs"]
    epoch_seconds, final_loss, steps = [], float("nan"), 0
    for epoch in range(opts["epochs"]):
        started = time.perf_counter()
        total = 0.0
        for step, x in enumerate(batches(images, fit[torch.randperm(len(fit))], size, dynamic)):
            t = epoch + step / per_epoch
            weight = 1.0 if warmup == 0 else min(1.0, t / warmup)
            adam.zero_grad()
            terms = model.terms(x, torch.randn(len(x), latent), loss["beta"], loss["freeBits"],
                                weight)
            terms[0].backward()
            adam.step()
            values = torch.stack([t.detach() for t in terms]).tolist()  # as train.ts reads back
            if not all(map(math.isfinite, values)):
                sys.exit(f"whole_training.py: epoch {epoch + 1}, step {step + 1}: {values}")
            total += values[0] * len(x)
            steps += 1
        with torch.no_grad():
            for x in batches(images, validation, 500, False):
                model.terms(x, torch.randn(len(x), latent))
            for x in batches(images, fit[:1000], 500, False):
                model.encode(x)[1].sum(0)
        save(args.workdir, model, adam, epoch)
        epoch_seconds.append(time.perf_counter() - started)
        final_loss = total / len(fit)
    print(json.dumps({
        "epochSeconds": epoch_seconds,
        "finalLoss": final_loss,
        "steps": steps,
        "examples": len(fit),
        "core": core,
    }))


def save(workdir, model, adam, epoch):
    """The epoch's checkpoint, fsynced and swapped in by a rename, as the train stage's is."""
    path = os.path.join(workdir, "checkpoint.pt")
    with open(path + ".next", "wb") as f:
        torch.save({"model": model.state_dict(), "adam": adam.state_dict(), "epoch": epoch}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".next", path)


if __name__ == "__main__":
    main()
