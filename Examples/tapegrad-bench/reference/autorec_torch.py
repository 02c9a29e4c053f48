#!/usr/bin/env python3
"""Dense PyTorch reference for `tapegrad-bench autorec --compare`.

I-AutoRec (or U-AutoRec) exactly as in the project notes: h(r) = W·sigmoid(V·r + mu) + b,
k hidden units, loss = sum over OBSERVED entries of (r - h(r))^2 + lambda/2 (||W||^2 + ||V||^2),
full-batch torch.optim.Rprop (PyTorch defaults). The rating matrix is dense (that is what such
implementations do); instances are processed in blocks whose gradients are accumulated, so the
step is still full batch. Ratings are synthetic with the requested shape (uniform positions,
values 1..5): timing depends only on the shape for a dense implementation.

Prints `seconds_per_epoch X` (median) and `peak_rss_bytes N`.
"""
import argparse
import resource
import statistics
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, required=True)
    p.add_argument("--items", type=int, required=True)
    p.add_argument("--ratings", type=int, required=True)
    p.add_argument("--model", choices=["item", "user"], default="item")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--lambda_", type=float, default=100.0)
    p.add_argument("--block", type=int, default=2048)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(a.seed)

    rows, cols = (a.items, a.users) if a.model == "item" else (a.users, a.items)
    n = min(a.ratings, rows * cols)
    # Distinct random cells (dense instances x inputs matrix, 0 = unobserved).
    cells = torch.randperm(rows * cols, generator=g)[:n] if rows * cols <= 50_000_000 else \
        torch.unique(torch.randint(0, rows * cols, (n,), generator=g))
    R = torch.zeros(rows * cols, dtype=torch.float32)
    R[cells] = torch.randint(1, 6, (cells.numel(),), generator=g).float()
    R = R.view(rows, cols)
    M = (R != 0).float()

    k = a.hidden
    bound_v = (6.0 / (cols + k)) ** 0.5
    V = ((torch.rand(cols, k, generator=g) * 2 - 1) * bound_v).requires_grad_()   # encoder weight
    mu = torch.zeros(k, requires_grad=True)
    W = ((torch.rand(k, cols, generator=g) * 2 - 1) * bound_v).requires_grad_()   # decoder weight
    b = torch.zeros(cols, requires_grad=True)
    opt = torch.optim.Rprop([V, mu, W, b])

    times = []
    for _ in range(a.epochs):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        total = 0.0
        for s in range(0, rows, a.block):
            r, m = R[s:s + a.block], M[s:s + a.block]
            h = torch.sigmoid(r @ V + mu) @ W + b
            loss = ((h - r) ** 2 * m).sum()
            loss.backward()
            total += loss.item()
        penalty = (a.lambda_ / 2) * ((W ** 2).sum() + (V ** 2).sum())
        penalty.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    print(f"seconds_per_epoch {statistics.median(times)}")
    print(f"peak_rss_bytes {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}")


if __name__ == "__main__":
    main()
