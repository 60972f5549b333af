"""The pipeline's VAE in PyTorch, for the benchmarks (bench/train_speed.py, whole_training.py).

Same maths as stages/model/networks.ts and losses.ts: an MLP encoder (Glorot-uniform
kernels, zero biases) to mu and log var heads, z = mu + eps * exp(log var / 2), a mirrored
decoder, a Bernoulli (BCE from logits) or fixed-variance Gaussian likelihood summed over
pixels, and beta * sum_j max(lambda, KL_j) with KL_j the batch mean of latent dimension j.

fair_blas() sets the thread count of the OpenBLAS that PyTorch calls and names its kernel:
torch.set_num_threads does not reach OpenBLAS (measured: it stays on every core), so
without it a "1 thread" run would do its matrix products on 2.
"""

import ctypes
import math

import torch
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = {"tanh": torch.tanh, "relu": F.relu, "elu": F.elu, "sigmoid": torch.sigmoid}
LOG_2PI = math.log(2 * math.pi)


def fair_blas(threads):
    """Threads for torch and for its OpenBLAS; returns OpenBLAS's kernel name, or "?"."""
    torch.set_num_threads(threads)
    try:
        # Debian's torch calls libblas.so.3, which forwards to this same loaded library.
        blas = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return "?"
    blas.openblas_set_num_threads(threads)
    blas.openblas_get_corename.restype = ctypes.c_char_p
    return blas.openblas_get_corename().decode()


def linear(fan_in, fan_out):
    """A dense layer initialised as the pipeline does: Glorot uniform, zero bias."""
    layer = nn.Linear(fan_in, fan_out)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class Vae(nn.Module):
    def __init__(self, input_dim, hidden, latent, activation="tanh",
                 likelihood="bernoulli", sigma=0.1):
        super().__init__()
        sizes = [input_dim, *hidden]
        self.encoder = nn.ModuleList(linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.mu = linear(sizes[-1], latent)
        self.log_var = linear(sizes[-1], latent)
        back = [latent, *reversed(hidden)]
        self.decoder = nn.ModuleList(linear(a, b) for a, b in zip(back, back[1:]))
        self.output = linear(back[-1], input_dim)
        self.act = ACTIVATIONS[activation]
        self.likelihood = likelihood
        self.log_sigma2 = 2 * math.log(sigma)

    def encode(self, x):
        h = x
        for layer in self.encoder:
            h = self.act(layer(h))
        return self.mu(h), self.log_var(h)

    def recon(self, x, z):
        """-log p(x|z) per example, summed over pixels."""
        h = z
        for layer in self.decoder:
            h = self.act(layer(h))
        out = self.output(h)
        if self.likelihood == "bernoulli":
            return F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(1)
        scaled = (x - torch.sigmoid(out)) ** 2 * math.exp(-self.log_sigma2)
        return (0.5 * (scaled + self.log_sigma2 + LOG_2PI)).sum(1)

    def terms(self, x, eps, beta=1.0, free_bits=0.0, weight=1.0):
        """(loss, recon, kl), batch means in nats per example; weight: the warm-up's."""
        mu, log_var = self.encode(x)
        z = mu + eps * torch.exp(0.5 * log_var)
        recon = self.recon(x, z).mean()
        kl_dims = 0.5 * (mu**2 + log_var.exp() - log_var - 1)
        kl = kl_dims.sum(1).mean()
        reg = weight * beta * torch.clamp(kl_dims.mean(0), min=free_bits).sum()
        return recon + reg, recon, kl
