#!/usr/bin/env python3
"""numpy/OpenBLAS reference for TapeGrad's GEMM benchmark (gemm-bench).

Times C = op(A) @ op(B) for the same shapes as gemm-bench and prints one JSON object with the
median (and best) GFLOP/s per (shape, dtype). Transposed operands are passed as numpy transposed views, so
OpenBLAS sees the same memory layout as our kernel (no copies are timed).

Run it with the thread count pinned and without the machine's OpenBLAS overrides, e.g.
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 python3 gemm_reference.py
(OPENBLAS_NUM_THREADS must be set before numpy is imported, hence in the environment.)

Shapes: --shape NAME:TA:TB:M:K:N (TA/TB are N or T), repeatable; defaults to the list below.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

# name, transA, transB, m, k, n   (C is m x n; op(A) is m x k; op(B) is k x n)
DEFAULT_SHAPES = [
    ("sq1024", False, False, 1024, 1024, 1024),
    ("sq2048", False, False, 2048, 2048, 2048),
    ("ml100k-enc", False, False, 1682, 943, 500),
    ("ml1m-enc", False, False, 3706, 6040, 500),
    ("ml1m-dec", False, False, 3706, 500, 6040),
    ("ml1m-dW-enc", True, False, 6040, 3706, 500),
    ("ml1m-dX-enc", False, True, 3706, 500, 6040),
    ("ml1m-dW-dec", True, False, 500, 3706, 6040),
    ("ml1m-dH-dec", False, True, 3706, 6040, 500),
]


def parse_shape(text):
    name, ta, tb, m, k, n = text.split(":")
    return (name, ta.upper() == "T", tb.upper() == "T", int(m), int(k), int(n))


def operand(rng, rows, cols, trans, dtype):
    """Returns op(X) of shape rows x cols; when trans, a transposed view of a cols x rows array."""
    if trans:
        return rng.uniform(-1, 1, size=(cols, rows)).astype(dtype).T
    return rng.uniform(-1, 1, size=(rows, cols)).astype(dtype)


def openblas_info():
    try:
        import threadpoolctl  # optional: tells which OpenBLAS kernel (core type) runs
        return [
            {k: v for k, v in info.items() if k in ("internal_api", "version", "architecture", "num_threads")}
            for info in threadpoolctl.threadpool_info()
        ]
    except Exception as exc:  # noqa: BLE001 - informational only
        return "threadpoolctl unavailable: %s" % exc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--shape", action="append", default=[])
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: time by process CPU seconds (all threads), as tapegrad-bench --clock cpu")
    args = ap.parse_args()
    shapes = [parse_shape(s) for s in args.shape] or DEFAULT_SHAPES
    tick = time.process_time if args.clock == "cpu" else time.perf_counter
    rng = np.random.default_rng(42)
    results = []
    for name, ta, tb, m, k, n in shapes:
        for dt in args.dtypes.split(","):
            dtype = np.dtype(dt)
            a = operand(rng, m, k, ta, dtype)
            b = operand(rng, k, n, tb, dtype)
            out = np.empty((m, n), dtype=dtype)
            np.matmul(a, b, out=out)  # warm-up (thread pool, page faults)
            times = []
            for _ in range(args.reps):
                t0 = tick()
                np.matmul(a, b, out=out)
                times.append(tick() - t0)
            times.sort()
            median = times[len(times) // 2]
            results.append({
                "name": name, "dtype": dtype.name, "transA": ta, "transB": tb,
                "m": m, "k": k, "n": n, "reps": args.reps,
                "median_s": median, "gflops": 2.0 * m * n * k / median / 1e9,
                "best_gflops": 2.0 * m * n * k / times[0] / 1e9,
            })
            del a, b, out
    json.dump({
        "numpy": np.__version__,
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "clock": args.clock,
        "openblas": openblas_info(),
        "results": results,
    }, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
