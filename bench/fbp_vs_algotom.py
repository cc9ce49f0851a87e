#!/usr/bin/env python3
"""Times xct's slab filtered back-projection against Algotom's CPU one, in one run.

For each size (columns n, angles ~ 0.7 n over 180 degrees, both ends) the cell is simulated
once with `xct_step sim_sinogram` (every detector effect, xct's flat-field); its -log with and
without stripes, each scaled by 1 + 0.01 i for row i, makes a slab of --rows different
sinograms. On that slab, both with 2 threads unless --threads says otherwise:

- xct: `xct_step fbp_slab ... repeat=N` (OMP_NUM_THREADS), the whole slab at once (filter and
  back-projection; inputs already in memory), best of N, divided by the rows;
- Algotom 1.7: `algotom.rec.reconstruction.fbp_reconstruction(sino, centre, gpu=False,
  filter_name="hann", apply_log=False, ratio=None)` row by row (NUMBA_NUM_THREADS; its
  back-projection is numba's parallel loop), after one call to compile, summed over the
  rows it runs (--algotom-rows, default all) and divided by them.

Giga voxel-updates per second count n_angles x n^2 per slice. "rel L2" compares Algotom's
slice of row 0 with xct's at Algotom's width (fft_friendly=0) inside the reconstruction circle,
the row's two end projections doubled for xct (Algotom weighs every angle pi / (n - 1), xct
the two ends of an inclusive grid half that). With more than one numba thread Algotom's
back-projection races (tests/reference/conftest.py), which can add a few 1e-4.

    python3 bench/fbp_vs_algotom.py [--step build/tests/xct_step] [--quick] [--threads 2]
        [--sizes 512,1024,2048] [--angles 358,717,1434] [--rows 8] [--repeat 2]

--quick: sizes 256, 512, 1024 and 4 rows (under 2 minutes on 2 cores).
"""
import argparse
import os
import pathlib
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reference"))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--step", default=str(ROOT / "build" / "tests" / "xct_step"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", default=None, help="columns, comma-separated")
    ap.add_argument("--angles", default=None, help="angles per size (default 0.7 x columns)")
    ap.add_argument("--rows", type=int, default=None, help="rows per slab (default 8)")
    ap.add_argument("--algotom-rows", type=int, default=None,
                    help="rows Algotom reconstructs per size (default all)")
    ap.add_argument("--repeat", type=int, default=2, help="xct: best of N")
    ap.add_argument("--quick", action="store_true", help="sizes 256, 512, 1024, 4 rows")
    return ap.parse_args()


ARGS = parse_args()
# Thread counts must be set before numba (through Algotom) is imported.
os.environ["NUMBA_NUM_THREADS"] = str(ARGS.threads)
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
import conftest  # noqa: E402  (the xct_step runner the cross-checks use)


def xct_step(tmp, step, arrays, **params):
    os.environ["XCT_STEP"] = ARGS.step
    outputs, info = conftest.run_step(tmp, step, arrays, **params)
    return info, outputs


def slab_of(tmp, cols, angles, rows):
    """A slab [rows, angles, cols] of -log sinograms of the simulated cell and its centre."""
    info, (with_stripes, clean) = xct_step(tmp, "sim_sinogram", [], cols=cols, angles=angles,
                                           seed=1, kind="every")
    base = [-np.log(np.clip(s, 1e-6, None)) for s in (with_stripes, clean)]
    slab = np.stack([base[i % 2] * (1 + 0.01 * i) for i in range(rows)]).astype(np.float32)
    return np.ascontiguousarray(slab), float(info["centre"])


def main():
    from algotom.rec import reconstruction as rec

    sizes = [256, 512, 1024] if ARGS.quick else [512, 1024, 2048]
    if ARGS.sizes:
        sizes = [int(s) for s in ARGS.sizes.split(",")]
    angles = [int(round(0.7 * n)) for n in sizes]
    if ARGS.angles:
        angles = [int(a) for a in ARGS.angles.split(",")]
    rows = ARGS.rows or (4 if ARGS.quick else 8)
    alg_rows = min(rows, ARGS.algotom_rows or rows)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="xct_fbp_bench_"))

    # Compile Algotom's numba kernels outside the timing.
    warm = np.ones((16, 32), np.float32)
    rec.fbp_reconstruction(warm, 15.5, angles=np.linspace(0, np.pi, 16).astype(np.float32),
                           apply_log=False, ratio=None, gpu=False)

    print(f"{os.cpu_count()} cores; {ARGS.threads} threads each; slabs of {rows} rows "
          f"(Algotom {alg_rows}); xct best of {ARGS.repeat}; filter hann")
    print(f"{'n':>5} {'angles':>6} {'algotom s/sl':>12} {'xct s/sl':>9} {'ratio':>7} "
          f"{'xct sl/s':>8} {'algotom GU/s':>12} {'xct GU/s':>8} {'rel L2':>8}")
    for n, n_ang in zip(sizes, angles):
        slab, centre = slab_of(tmp, n, n_ang, rows)
        theta = np.linspace(0, np.pi, n_ang)  # the simulator's grid: 0 to pi, both ends
        a32 = theta.astype(np.float32)
        info, _ = xct_step(tmp, "fbp_slab", [slab, theta], centre=centre, repeat=ARGS.repeat)
        xct_s = info["seconds"] / rows

        t_alg = 0.0
        ref0 = None
        for i in range(alg_rows):
            sino = np.ascontiguousarray(slab[i])
            t0 = time.perf_counter()
            out = rec.fbp_reconstruction(sino, centre, angles=a32, apply_log=False, ratio=None,
                                         filter_name="hann", gpu=False)
            t_alg += time.perf_counter() - t0
            if i == 0:
                ref0 = out
        alg_s = t_alg / alg_rows

        doubled = np.array(slab[0])
        doubled[[0, -1]] *= 2
        _, (ours0,) = xct_step(tmp, "fbp", [doubled, theta], centre=centre, fft_friendly=0)
        y, x = np.mgrid[:n, :n] - (n - 1) / 2
        inside = x * x + y * y < (0.5 * n - 2) ** 2
        rel = conftest.rel_l2(ours0[inside], ref0[inside])

        updates = n_ang * n * n
        print(f"{n:5d} {n_ang:6d} {alg_s:12.3f} {xct_s:9.4f} {alg_s / xct_s:6.1f}x "
              f"{1 / xct_s:8.2f} {updates / alg_s / 1e9:12.2f} {updates / xct_s / 1e9:8.2f} "
              f"{rel:8.1e}", flush=True)
    print("target: ratio >= 5x; the cost per slice grows as angles x n^2 (GU/s stays level)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
