#!/usr/bin/env python3
"""Times `xct recon` (CPU) against Algotom's CPU FBP on the same sinograms, in one run.

For each size a scan of the simulated cell is made (`xct simulate`, 8 rows through the
interface, pi/2 x width angles, noise, gain, blur and beam drift on, but no dead columns or
zingers, whose corrections would differ); `xct recon` reconstructs it with ring and zinger
removal off and the true centre, so that its sinograms are the flat-fielded
-log of the raw data, which numpy computes here the same way for Algotom. Algotom's
`fbp_reconstruction(..., gpu=False)` (numba) then reconstructs the same rows one by one.
Both run on 2 threads (OMP_NUM_THREADS=2, NUMBA_NUM_THREADS=2); Algotom's JIT compilation is
done before timing.

    python3 bench/recon_vs_algotom.py [--xct build/cli/xct] [--sizes 256,512,1024] [--quick]

Prints per size: seconds per slice for xct's filter + back-projection and for its whole run
(read, flat-field, -log, filter, back-projection, write), Algotom's seconds per slice, the
ratios, slices per second and giga voxel-updates per second (angles x n^2 per slice / time);
the ns per voxel-update column shows the cost growing as angles x n^2 across sizes; then 1, 2
and 4 times as many slices of one scan (linear in slices), and a scan four times larger than
--max-memory with its peak resident memory.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

os.environ["NUMBA_NUM_THREADS"] = "2"
os.environ["OMP_NUM_THREADS"] = "2"
import h5py  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stderr}")
    return r


def simulate(xct, folder, cols, rows, angles):
    run([xct, "simulate", folder, "--cols", cols, "--rows", rows, "--cell-height", cols,
         "--first-row", cols // 2 - rows // 2, "--angles", angles, "--pixel-size",
         round(2600.0 / cols, 4), "--no-stripes", "--no-zingers", "--truth", "none",
         "--no-previews", "--no-progress", "--overwrite"])
    truth = json.load(open(folder / "truth.json"))
    return folder / "scan_t00.h5", truth["scan"]["centre_of_rotation"]


def xct_recon(xct, scan, out, centre, extra=()):
    t0 = time.perf_counter()
    run([xct, "-q", "recon", scan, "--rotation-axis", centre, "--rings", "none", "--no-zingers",
         "-o", out, "--overwrite", *extra])
    wall = time.perf_counter() - t0
    return json.load(open(out / "report.json")), wall


def sinograms(scan):
    """Flat-field (median flats and darks) and -log, as xct does: [rows, angles, cols]."""
    with h5py.File(scan, "r") as f:
        proj = f["/exchange/data"][...].astype(np.float32)
        flat = np.median(f["/exchange/data_white"][...], axis=0).astype(np.float32)
        dark = np.median(f["/exchange/data_dark"][...], axis=0).astype(np.float32)
        theta = np.deg2rad(f["/exchange/theta"][...])
    trans = (proj - dark) / np.maximum(flat - dark, 1e-6)
    trans = np.where(trans > 0, trans, 0.5 / np.maximum(flat - dark, 1.0))
    return np.ascontiguousarray(np.transpose(-np.log(trans), (1, 0, 2))), theta


def algotom_per_slice(sinos, theta, centre, n_slices):
    from algotom.rec import reconstruction as rec
    rec.fbp_reconstruction(sinos[0], centre, angles=theta, apply_log=False, gpu=False,
                           ratio=None)  # JIT compilation
    t0 = time.perf_counter()
    out = [rec.fbp_reconstruction(sinos[i], centre, angles=theta, apply_log=False, gpu=False,
                                  ratio=None) for i in range(n_slices)]
    return (time.perf_counter() - t0) / n_slices, out


def read_xct_slices(out, n):
    import tifffile
    return np.stack([tifffile.imread(out / f"recon_{i:05d}.tiff") for i in range(n)])


def memory_run(xct, tmp):
    """A Data Exchange scan four times larger than the budget (as tests/cli/recon_scale_test)."""
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    import tall_scan
    scan = tmp / "big.h5"
    tall_scan.write_tall_scan(scan)
    size = scan.stat().st_size
    budget = size // 4
    rep, wall = xct_recon(xct, scan, tmp / "big_rec", tall_scan.CENTRE,
                          ["--max-memory", budget])
    peak = rep["memory"]["peak_rss_bytes"]
    print(f"\nscan {size / 2**20:.0f} MiB, --max-memory {budget / 2**20:.1f} MiB: "
          f"{rep['chunks']} slabs, peak RSS {peak / 2**20:.1f} MiB "
          f"({peak / budget:.3f} x the budget; bound 1.10), input read "
          f"{rep['io']['input_read_ratio']:.3f} x the file, {wall:.1f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xct", default=str(ROOT / "build" / "cli" / "xct"))
    ap.add_argument("--sizes", default="256,512,1024")
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--algotom-slices", type=int, default=2,
                    help="rows Algotom reconstructs per size (its time is per slice)")
    ap.add_argument("--quick", action="store_true", help="sizes 256 and 512, no memory run")
    args = ap.parse_args()
    sizes = [256, 512] if args.quick else [int(s) for s in args.sizes.split(",")]
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="xct_recon_bench_"))
    print(f"{os.cpu_count()} cores; xct OMP_NUM_THREADS=2, Algotom NUMBA_NUM_THREADS=2; "
          f"{args.rows} slices per scan")
    print(f"{'n':>5} {'angles':>6} {'xct fbp s/sl':>12} {'xct all s/sl':>12} "
          f"{'algotom s/sl':>12} {'ratio fbp':>9} {'ratio all':>9} {'slices/s':>8} "
          f"{'GUPS':>6} {'ns/update':>9} {'rel L2':>8}")
    for n in sizes:
        angles = int(round(np.pi / 2 * n)) | 1
        scan, centre = simulate(args.xct, tmp / f"sim{n}", n, args.rows, angles)
        out = tmp / f"rec{n}"
        rep, wall = xct_recon(args.xct, scan, out, centre)
        fbp = rep["seconds"]["filter_backproject"] / args.rows
        whole = wall / args.rows
        sinos, theta = sinograms(scan)
        # Algotom weights every projection by pi / (n_angles - 1); xct gives the two ends of an
        # inclusive grid (the same line twice) half that each. Halving Algotom's end rows makes
        # the two reconstructions the same up to a constant factor, fitted below.
        sinos[:, [0, -1], :] *= 0.5
        k = min(args.algotom_slices, args.rows)
        alg, alg_out = algotom_per_slice(sinos, theta, centre, k)
        # Same values, inside 0.9 of the width: ours in 1/cm, back to per pixel.
        ours = read_xct_slices(out, k) / (1e4 / round(2600.0 / n, 4))  # back to per pixel
        ref = np.stack(alg_out)
        scale = np.vdot(ours, ref) / np.vdot(ref, ref)
        inner = np.zeros_like(ref, dtype=bool)
        yy, xx = np.mgrid[:n, :n] - (n - 1) / 2
        inner[:] = (xx * xx + yy * yy) < (0.45 * n) ** 2
        rel = np.linalg.norm((ours - scale * ref)[inner]) / np.linalg.norm(ours[inner])
        updates = angles * n * n
        print(f"{n:5d} {angles:6d} {fbp:12.4f} {whole:12.4f} {alg:12.4f} {alg / fbp:9.1f} "
              f"{alg / whole:9.1f} {1 / whole:8.2f} {updates / fbp / 1e9:6.2f} "
              f"{fbp / updates * 1e9:9.3f} {rel:8.1e}")
    # Linear in slices: 1, 2 and 4 times as many rows of the same scan, slabs of 8.
    n = sizes[min(1, len(sizes) - 1)]
    angles = int(round(np.pi / 2 * n)) | 1
    scan, centre = simulate(args.xct, tmp / "rows", n, 4 * args.rows, angles)
    print(f"\n{n} x {n} slices from {angles} angles, slabs of 8: filter + back-projection")
    for k in (1, 2, 4):
        rep, _ = xct_recon(args.xct, scan, tmp / f"rows{k}", centre,
                           ["--end-row", k * args.rows, "--nsino-per-chunk", 8])
        t = rep["seconds"]["filter_backproject"]
        print(f"  {k * args.rows:3d} slices: {t:7.3f} s, {t / (k * args.rows):.4f} s/slice")
    if not args.quick:
        memory_run(args.xct, tmp)


if __name__ == "__main__":
    main()
