"""The reference for bench/train_speed.ts's step benchmark: the same VAE and step in PyTorch.

784 -> 512 tanh -> 20 (mu, log var) -> 512 tanh -> 784 logits, Bernoulli, beta = 1 KL,
batch 128, Adam(1e-3, eps 1e-7), random binary data. Prints one JSON line:
{"rounds": [samples/s, ...], "core": OpenBLAS kernel}, one number per timed round.
Debian's python3-torch (1.13, CPU) is enough; it is a benchmark, never a dependency.
"""

import argparse
import json
import time

import torch

from torch_vae import Vae, fair_blas

INPUT, HIDDEN, LATENT, BATCH = 784, 512, 20, 128


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    core = fair_blas(args.threads)
    torch.manual_seed(0)
    model = Vae(INPUT, [HIDDEN], LATENT)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    # A few fixed batches of random binary pixels, cycled: data loading is not what we time.
    batches = [torch.randint(0, 2, (BATCH, INPUT)).float() for _ in range(4)]

    def step(i):
        optimizer.zero_grad()
        loss, _, _ = model.terms(batches[i % len(batches)], torch.randn(BATCH, LATENT))
        loss.backward()
        optimizer.step()
        return loss.item()  # as the tfjs side reads its loss back every step

    for i in range(args.warmup):
        step(i)
    rounds = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for i in range(args.steps):
            step(i)
        rounds.append(args.steps * BATCH / (time.perf_counter() - start))
    print(json.dumps({"rounds": rounds, "core": core}))


if __name__ == "__main__":
    main()
