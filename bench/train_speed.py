"""The reference for bench/train_speed.ts: the same VAE and step in PyTorch.

784 -> 512 tanh -> 20 (mu, log var) -> 512 tanh -> 784 logits, Bernoulli, beta = 1 KL,
batch 128, Adam(1e-3), random binary data. Prints one JSON line: {"rounds": [samples/s, ...]},
one number per timed round of --steps steps.
Debian's python3-torch (1.13, CPU) is enough; it is a benchmark, never a dependency.
"""

import argparse
import json
import time

import torch
from torch import nn
from torch.nn import functional as F

INPUT, HIDDEN, LATENT, BATCH = 784, 512, 20, 128


class Vae(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(INPUT, HIDDEN)
        self.mu = nn.Linear(HIDDEN, LATENT)
        self.log_var = nn.Linear(HIDDEN, LATENT)
        self.decoder = nn.Sequential(
            nn.Linear(LATENT, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, INPUT)
        )

    def loss(self, x, eps):
        h = torch.tanh(self.hidden(x))
        mu, log_var = self.mu(h), self.log_var(h)
        z = mu + eps * torch.exp(0.5 * log_var)
        logits = self.decoder(z)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
        kl = 0.5 * (mu**2 + log_var.exp() - log_var - 1).sum() / len(x)
        return recon + kl


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Vae()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    batches = [torch.randint(0, 2, (BATCH, INPUT)).float() for _ in range(4)]

    def step(i):
        optimizer.zero_grad()
        loss = model.loss(batches[i % len(batches)], torch.randn(BATCH, LATENT))
        loss.backward()
        optimizer.step()
        return loss.item()

    for i in range(args.warmup):
        step(i)
    rounds = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for i in range(args.steps):
            step(i)
        rounds.append(args.steps * BATCH / (time.perf_counter() - start))
    print(json.dumps({"rounds": rounds}))


if __name__ == "__main__":
    main()
