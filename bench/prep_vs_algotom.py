#!/usr/bin/env python3
"""Times xct's preprocessing steps against Algotom's on the same sinogram, in one run.

The sinogram is a simulated 1801-angle x 2560-column float32 transmission sinogram of the
cell with every detector effect (noise, zingers, stripes), made by `xct_step sim_sinogram`
(the centre search gets its -log).
xct runs through `xct_step ... repeat=N`, which times the step alone (inputs already in
memory); Algotom is timed the same way, best of N, with its default thread count.

    python3 bench/prep_vs_algotom.py [--step build/tests/xct_step] [--repeat 3] [--quick]

Prints one line per step: Algotom's time, xct's time and the ratio.
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
os.environ.setdefault("NUMBA_NUM_THREADS", str(os.cpu_count()))  # Algotom at full speed
import conftest  # noqa: E402  (the xct_step runner the cross-checks use)


def xct_step(binary, tmp, step, arrays, repeat, **params):
    """Runs one step through xct_step (tests/reference/conftest.py); returns (info, outputs)."""
    os.environ["XCT_STEP"] = binary
    outputs, info = conftest.run_step(tmp, step, arrays, repeat=repeat, **params)
    return info, outputs


def best_time(fn, repeat):
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--step", default=str(ROOT / "build" / "tests" / "xct_step"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--angles", type=int, default=1801)
    ap.add_argument("--cols", type=int, default=2560)
    ap.add_argument("--quick", action="store_true", help="the three headline steps only")
    args = ap.parse_args()

    from algotom.prep import calculation as calc
    from algotom.prep import removal as rem

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="xct_bench_"))
    _, (sino, _) = xct_step(args.step, tmp, "sim_sinogram", [], 1, kind="every",
                            cols=args.cols, angles=args.angles, seed=1)
    sino = sino.astype(np.float32)
    att = (-np.log(sino)).astype(np.float32)
    n = sino.shape[1]
    start, stop = n // 2 - n // 16, n // 2 + n // 16  # Algotom's default range, for both
    print(f"sinogram {sino.shape[0]} x {sino.shape[1]} float32; {os.cpu_count()} cores; "
          f"best of {args.repeat}")

    cases = [
        ("remove_all_stripe", lambda: rem.remove_all_stripe(sino, 3.0, 51, 21),
         "remove_all_stripe", {}),
        ("remove_zinger", lambda: rem.remove_zinger(sino, 0.08, 2), "remove_zinger",
         {"threshold": 0.08, "size": 2}),
        ("find_center_vo", lambda: calc.find_center_vo(att, start, stop),
         "center_vo", {"start": start, "stop": stop}),
    ]
    if not args.quick:
        cases += [
            ("remove_stripe_based_sorting", lambda: rem.remove_stripe_based_sorting(sino, 21),
             "remove_stripe_based_sorting", {}),
            ("remove_stripe_based_filtering",
             lambda: rem.remove_stripe_based_filtering(sino, 3, 21),
             "remove_stripe_based_filtering", {}),
            ("remove_stripe_based_fitting", lambda: rem.remove_stripe_based_fitting(sino, 2, 10),
             "remove_stripe_based_fitting", {}),
            ("remove_large_stripe", lambda: rem.remove_large_stripe(sino, 3.0, 51),
             "remove_large_stripe", {}),
            ("remove_dead_stripe", lambda: rem.remove_dead_stripe(sino, 3.0, 51),
             "remove_dead_stripe", {}),
            ("remove_stripe_based_wavelet_fft",
             lambda: rem.remove_stripe_based_wavelet_fft(sino),
             "remove_stripe_based_wavelet_fft", {}),
        ]
    print(f"{'step':34s} {'algotom s':>10s} {'xct s':>10s} {'ratio':>8s}")
    worst = None
    for name, ref, step, params in cases:
        t_ref, _ = best_time(ref, args.repeat)
        data = att if step == "center_vo" else sino
        info, _ = xct_step(args.step, tmp, step, [data], args.repeat, **params)
        ratio = t_ref / info["seconds"]
        headline = name in ("remove_all_stripe", "remove_zinger", "find_center_vo")
        if headline:
            worst = ratio if worst is None else min(worst, ratio)
        print(f"{name:34s} {t_ref:10.3f} {info['seconds']:10.4f} {ratio:7.1f}x"
              f"{'  (target >= 10x)' if headline else ''}", flush=True)
    print(f"slowest headline ratio: {worst:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
