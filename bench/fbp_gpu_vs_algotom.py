#!/usr/bin/env python3
"""Times Algotom's GPU filtered back-projection (numba.cuda) on the sinograms that
`xct_bench_gpu_fbp --export DIR` wrote, and compares with xct's device time on the same ones.

DIR/sinos.f32 holds float32 -log sinograms [rows][angles][cols], DIR/sinos.json their shape,
angles, centre and xct's CUDA seconds per slice (filter + back-projection, transfers
included). Algotom 1.7 runs `fbp_reconstruction(sinos, centre, angles, gpu=True,
apply_log=False, filter_name="hann", ratio=None)` on the whole chunk ([angles][rows][cols], the
layout it takes), once to compile its kernels, then timed (best of --repeat). It filters on the
CPU (numpy FFT, joblib threads) and back-projects on the GPU.

    python3 bench/fbp_gpu_vs_algotom.py DIR [--repeat 2] [--json FILE] [--allow-cpu]

Algotom falls back to its CPU path when numba sees no GPU; that is refused (exit 1) unless
--allow-cpu (a dry run of this script where there is no GPU).
"""
import argparse
import json
import pathlib
import sys
import time
import warnings

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=pathlib.Path)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", type=pathlib.Path)
    ap.add_argument("--allow-cpu", action="store_true")
    args = ap.parse_args()

    # numba-cuda 0.x registers np.row_stack, which NumPy 2.4 removed; it is the same function
    # as np.vstack, so the alias lets numba's CUDA typing load on a newer NumPy.
    if not hasattr(np, "row_stack"):
        np.row_stack = np.vstack
    from numba import cuda
    on_gpu = bool(cuda.is_available())
    if not on_gpu and not args.allow_cpu:
        sys.exit("fbp_gpu_vs_algotom: numba sees no CUDA device, so Algotom would run on the CPU")

    meta = json.loads((args.dir / "sinos.json").read_text())
    rows, n_angles, cols = meta["rows"], meta["angles"], meta["cols"]
    sinos = np.fromfile(args.dir / "sinos.f32", dtype=np.float32).reshape(rows, n_angles, cols)
    chunk = np.ascontiguousarray(np.moveaxis(sinos, 0, 1))  # [angles][rows][cols]
    angles = np.asarray(meta["angles_rad"], dtype=np.float64)
    centre = float(meta["centre"])

    from algotom.rec.reconstruction import fbp_reconstruction
    warnings.filterwarnings("ignore", message=".*No Nvidia GPU found.*")

    def run(data):
        return fbp_reconstruction(data, centre, angles=angles, gpu=True, apply_log=False,
                                  filter_name="hann", ratio=None)

    run(chunk[:, :1, :])  # compiles the kernels
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        rec = run(chunk)
        best = min(best, time.perf_counter() - t0)
    algotom_per_slice = best / rows
    xct_per_slice = float(meta["xct_cuda_seconds_per_slice"])
    result = {
        "rows": rows, "angles": n_angles, "cols": cols,
        "algotom_ran_on": "cuda" if on_gpu else "cpu",
        "algotom_gpu_seconds_per_slice": algotom_per_slice,
        "xct_cuda_seconds_per_slice": xct_per_slice,
        "xct_speedup_over_algotom_gpu": algotom_per_slice / xct_per_slice,
        "algotom_finite": bool(np.isfinite(rec).all()),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
