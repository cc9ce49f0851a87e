#!/usr/bin/env python3
"""End-to-end benchmark of `xct recon` on a generated Data Exchange scan of N x N x N.

1. Writes WORKDIR/scan_<N>x<ANGLES>.h5 as a detector does (uint16, one projection per chunk,
   uncompressed, 20 flats, 10 darks, theta in degrees over [0, 180)): cylinders along z, a
   beam varying slowly with row and column, ~20000 counts in the flats, noise of Poisson size
   (a fixed Gaussian field shifted per frame), columns with a gain error in the projections
   only (rings), a few zingers; rotation axis at (N - 1) / 2 + 2.5. --keep reuses it.
2. The floor: dd reads the scan (bs=16M, after sync; tmpfs has no page cache to drop) and
   writes a file of the volume's size (N^3 float32) into WORKDIR, then deletes it.
3. Times `xct recon` with (a) --rings none, (b) --rings sort, (c) --rings all (zingers on)
   and reads each OUT/report.json.
4. Rows N/2-128 .. N/2+128 normally and with --max-gpu-memory (several device chunks): are
   the volumes identical (TIFF slices with tifffile, else --save-format h5)?
5. Prints a table; --json FILE gets every number. Exits 1 when an xct run fails.

    python3 bench/gpu_pipeline_bench.py [--size 2048] [--angles N] [--workdir /dev/shm/xct-bench]
        [--xct build/cli/xct] [--device cuda] [--json FILE] [--keep] [--skip-all-rings]
        [--small-gpu-memory 256M]
    /usr/bin/python3 bench/gpu_pipeline_bench.py --size 96 --device cpu --workdir /tmp/xb

At N = 2048 the scan is 17 GB and the volume 34 GB: WORKDIR needs about 55 GB free.
"""
import argparse
import collections
import concurrent.futures
import importlib.util
import itertools
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

GENERATOR = 1  # changes with the scan's content, so that --keep writes a new one
AXIS_OFFSET = 2.5  # rotation axis, columns right of the detector's centre
FLAT, DARK, N_FLATS, N_DARKS = 20000.0, 100.0, 20, 10
# x, y, radius (fractions of N from the axis), line integral through the centre, and the
# heights where the cylinder starts and ends (fractions of the rows).
CYLINDERS = [(0.0, 0.0, 0.42, 0.5, 0.0, 1.0), (0.15, 0.05, 0.1, 0.6, 0.0, 1.0),
             (-0.18, 0.12, 0.07, 0.5, 0.0, 0.6), (0.02, -0.2, 0.05, 0.8, 0.3, 1.0)]
STRIPES = {0.31: 1.04, 0.47: 0.97, 0.52: 1.02, 0.66: 0.95, 0.71: 1.03}  # column: gain
PSF = np.exp(-0.5 * (np.arange(-4, 5) / 1.5) ** 2)  # detector blur along a row
PSF /= PSF.sum()
ZINGER_RATE, ZINGER_COUNTS = 0.25, 60000  # chance per projection, value


def scan_meta(n, n_ang):
    return json.dumps({"generator": GENERATOR, "size": n, "angles": n_ang, "flats": N_FLATS,
                       "darks": N_DARKS, "axis_offset": AXIS_OFFSET})


def generate(path, n, n_ang):
    """Writes the scan. A thread pool computes blocks of projections (numpy releases the GIL);
    they are written in order, one h5py write per block. Returns the seconds taken."""
    print(f"writing {path}", flush=True)
    t0 = time.perf_counter()
    cols = np.arange(n) - ((n - 1) / 2 + AXIS_OFFSET)
    theta = np.deg2rad(np.linspace(0.0, 180.0, n_ang, endpoint=False))
    row_gain = (1.0 + 0.12 * np.cos(np.pi * np.arange(n) / n)).astype(np.float32)[:, None]
    col_gain = 1.0 + 0.04 * np.sin(6 * np.pi * np.arange(n) / n + 0.3)
    stripe_gain = np.ones(n)
    for c, g in STRIPES.items():
        stripe_gain[int(c * n)] = g
    cuts = sorted({round(z * n) for c in CYLINDERS for z in c[4:]} | {0, n})
    bands = [(r0, r1) for r0, r1 in zip(cuts, cuts[1:]) if r1 > r0]
    mean = []  # per band of rows: counts without the row's gain, [angles][cols]
    for r0, _ in bands:
        p = np.zeros((n_ang, n))
        for x, y, r, a, z0, z1 in CYLINDERS:
            if round(z0 * n) <= r0 < round(z1 * n):
                d = (cols - n * (x * np.cos(theta) + y * np.sin(theta))[:, None]) / (r * n)
                p += a * np.sqrt(np.clip(1.0 - d * d, 0.0, None))
        p = sum(w * np.roll(p, k, axis=1) for k, w in zip(range(-4, 5), PSF))
        mean.append((FLAT * col_gain * stripe_gain * np.exp(-p)).astype(np.float32))
    sigma = [np.sqrt(m) for m in mean]
    pool = np.random.default_rng(7).standard_normal((n + n // 2,) * 2, dtype=np.float32)

    def frame(profiles, rng):  # profiles: (rows, mean, sigma) with mean, sigma per column
        ro, co = rng.integers(0, n // 2 + 1, 2)
        out = np.empty((n, n), np.float32)
        for (r0, r1), m, s in profiles:
            np.multiply(row_gain[r0:r1], m, out=out[r0:r1])
            out[r0:r1] += s * pool[ro + r0:ro + r1, co:co + n]
        out += DARK + 0.5  # + 0.5: the cast to uint16 rounds
        return out

    def block(i0, i1):
        rng = np.random.default_rng(1000 + i0)
        b = np.empty((i1 - i0, n, n), np.uint16)
        for j, i in enumerate(range(i0, i1)):
            b[j] = frame([(bd, m[i], s[i]) for bd, m, s in zip(bands, mean, sigma)], rng)
            if rng.random() < ZINGER_RATE:
                b[j, rng.integers(n), rng.integers(n)] = ZINGER_COUNTS
        return b

    tmp = path.with_suffix(".part")
    with h5py.File(tmp, "w") as f:
        f["implements"] = "exchange"
        ex = f.create_group("exchange")
        ex["description"] = "xct pipeline benchmark: cylinders along z, stripes, zingers"
        ex.create_dataset("theta", data=np.rad2deg(theta)).attrs["units"] = "degrees"
        flat = (FLAT * col_gain).astype(np.float32)
        for name, count, kind, m, s in (
                ("data_white", N_FLATS, "WhiteData", flat, np.sqrt(flat)),
                ("data_dark", N_DARKS, "DarkData", np.zeros(n, np.float32), np.full(n, 3.0))):
            rng = np.random.default_rng(len(name))
            frames = np.stack([frame([((0, n), m, s)], rng) for _ in range(count)])
            d = ex.create_dataset(name, data=frames.astype(np.uint16), chunks=(1, n, n))
            d.attrs.update(axes="theta:y:x", description=kind, units="counts")
        data = ex.create_dataset("data", (n_ang, n, n), np.uint16, chunks=(1, n, n))
        data.attrs.update(axes="theta:y:x", description="ImageData", units="counts")
        per_block = max(1, (64 << 20) // (2 * n * n))
        workers = os.cpu_count() or 1
        with concurrent.futures.ThreadPoolExecutor(workers) as threads:
            pending = collections.deque()
            for i0 in range(0, n_ang, per_block):
                i1 = min(n_ang, i0 + per_block)
                pending.append((i0, i1, threads.submit(block, i0, i1)))
                while len(pending) > 2 * workers or (pending and i1 == n_ang):
                    j0, j1, fut = pending.popleft()
                    data[j0:j1] = fut.result()
        f.attrs["xct_bench"] = scan_meta(n, n_ang)
    os.replace(tmp, path)
    return time.perf_counter() - t0


def fs_type(path):
    return subprocess.run(["stat", "-f", "-c", "%T", str(path)], capture_output=True,
                          text=True).stdout.strip()


def dd_rates(scan, folder, out_bytes):
    """dd's rates in GB/s: reading the scan, writing a file of out_bytes into folder."""
    subprocess.run(["sync"], check=True)
    if fs_type(scan) == "tmpfs":
        cache = "tmpfs: no page cache to drop"
    else:
        try:
            pathlib.Path("/proc/sys/vm/drop_caches").write_text("3\n")
            cache = "page cache dropped"
        except OSError:
            cache = "page cache not dropped (not root): the read may come from memory"
    t0 = time.perf_counter()
    subprocess.run(["dd", f"if={scan}", "of=/dev/null", "bs=16M", "status=none"], check=True)
    read = scan.stat().st_size / (time.perf_counter() - t0) / 1e9
    probe, count = folder / "dd_write_probe.bin", max(1, math.ceil(out_bytes / (16 << 20)))
    t0 = time.perf_counter()
    try:
        subprocess.run(["dd", "if=/dev/zero", f"of={probe}", "bs=16M", f"count={count}",
                        "conv=fdatasync", "status=none"], check=True)
        write = count * (16 << 20) / (time.perf_counter() - t0) / 1e9
    finally:
        probe.unlink(missing_ok=True)
    return {"read_gb_s": read, "write_gb_s": write, "cache": cache}


def run_xct(args, scan, out, extra, log):
    """Runs xct recon into a fresh OUT; returns its wall-clock seconds and report numbers."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(args.xct), "recon", str(scan), "-o", str(out), "--device", args.device,
           "--overwrite", "--rotation-axis", str((args.size - 1) / 2 + AXIS_OFFSET), *extra]
    t0 = time.perf_counter()
    with open(log, "w") as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
    res = {"command": " ".join(cmd), "rc": rc, "wall_s": time.perf_counter() - t0, "ok": rc == 0}
    if rc != 0:
        tail = "".join(pathlib.Path(log).read_text().splitlines(True)[-15:])
        print(f"xct failed (exit {rc}): {res['command']}\n{tail}", file=sys.stderr)
        return res
    rep = json.loads((out / "report.json").read_text())
    sec, dev, counts = rep.get("seconds", {}), rep.get("device", {}), rep.get("counts", {})
    compute = sum(sec.get(k, 0.0) for k in ("centre", "reslice", "flat_field", "zingers",
                                             "rings", "log", "filter_backproject"))
    total = sec.get("total") or math.nan
    res.update(seconds=sec,
               share={"read": sec.get("read", math.nan) / total, "compute": compute / total,
                      "write": sec.get("write", math.nan) / total},
               device=dev,
               zingers_replaced=counts.get("zingers_replaced"),
               stripe_columns_flagged=counts.get("stripe_columns_flagged"))
    return res


def volume_slices(out, fmt):
    if fmt == "h5":
        with h5py.File(out / "recon.h5", "r") as f:
            for z in range(f["exchange/data"].shape[0]):
                yield f["exchange/data"][z]
    else:
        import tifffile
        for p in sorted(out.glob("recon_*.tif*")):
            yield tifffile.imread(p)


def compare(out_a, out_b, fmt):
    """Slice by slice: the largest absolute difference and whether every sample is equal bit
    for bit."""
    count, same, diff = [0, 0], True, 0.0
    for a, b in itertools.zip_longest(volume_slices(out_a, fmt), volume_slices(out_b, fmt)):
        count[0] += a is not None
        count[1] += b is not None
        if a is None or b is None or a.shape != b.shape:
            same, diff = False, math.nan
            continue
        same = same and a.dtype == b.dtype and a.tobytes() == b.tobytes()
        diff = max(diff, float(np.max(np.abs(a.astype(np.float64) - b))))
    return {"format": fmt, "slices": count, "max_abs_diff": diff,
            "identical": same and count[0] > 0}


def band_check(args, scan, res):
    """Rows N/2-128 .. N/2+128 reconstructed normally and within --small-gpu-memory."""
    n = args.size
    band = {"rows": [max(0, n // 2 - 128), min(n, n // 2 + 128)],
            "max_gpu_memory": args.small_gpu_memory}
    help_text = subprocess.run([str(args.xct), "recon", "--help"], capture_output=True,
                               text=True).stdout
    if "--max-gpu-memory" not in help_text:
        band["skipped"] = "skipped: xct recon has no --max-gpu-memory (older build)"
        print(band["skipped"])
        return band
    fmt = "tiff" if importlib.util.find_spec("tifffile") else "h5"
    common = ["--start-row", str(band["rows"][0]), "--end-row", str(band["rows"][1]),
              "--save-format", fmt]
    outs = {"band_normal": common, "band_small": common + ["--max-gpu-memory",
                                                           args.small_gpu_memory]}
    print(f"rows {band['rows']}: normally, then --max-gpu-memory {args.small_gpu_memory}",
          flush=True)
    for key, extra in outs.items():
        res["runs"][key] = run_xct(args, scan, args.workdir / key, extra,
                                   args.workdir / f"xct_{key}.log")
    if all(res["runs"][k]["ok"] for k in outs):
        band.update(compare(args.workdir / "band_normal", args.workdir / "band_small", fmt))
    for key in outs:
        shutil.rmtree(args.workdir / key, ignore_errors=True)
    return band


def show(v):
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} {show(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(show(x) for x in v) + "]"
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def device_summary(dev):
    """The device keys worth a glance; builds with a device stream keep some under "stream"."""
    keys = ("kind", "rows_per_batch", "seconds", "overlap", "workers")
    both = [dev, dev.get("stream", {})]
    return " ".join(f"{k} {show(d[k])}" for d in both for k in keys if k in d)


def print_table(res):
    fl, dd, band = res["floor_s"], res["dd"], res["band"]
    gen = "kept" if res["generate_s"] is None else f"written in {res['generate_s']:.1f} s"
    print(f"\nxct recon: {res['angles']} angles x {res['size']} rows x {res['size']} columns, "
          f"--device {res['device']}, {res['workdir']} ({res['workdir_fs']})")
    print(f"scan {res['scan_bytes'] / 1e9:.2f} GB ({gen}); volume {res['volume_bytes'] / 1e9:.2f}"
          f" GB\ndd read {dd['read_gb_s']:.2f} GB/s ({dd['cache']}); dd write "
          f"{dd['write_gb_s']:.2f} GB/s\nfloor: read {fl['read']:.2f} s + write {fl['write']:.2f}"
          f" s = {fl['serial']:.2f} s; overlapped {fl['overlapped']:.2f} s")
    print(f"{'run':<14}{'wall s':>8}{'total s':>9}{'read':>6}{'compute':>9}{'write':>7}  device")
    for key, r in res["runs"].items():
        label = f"({key}) {r['rings']}" if "rings" in r else key
        if not r["ok"]:
            print(f"{label:<14}{r['wall_s']:8.2f}  failed (exit {r['rc']})")
            continue
        sh, total = r["share"], r["seconds"].get("total", math.nan)
        print(f"{label:<14}{r['wall_s']:8.2f}{total:9.2f}{sh['read']:6.0%}{sh['compute']:9.0%}"
              f"{sh['write']:7.0%}  {device_summary(r['device'])}")
    if res["ring_overhead"] is not None:
        ok = "met" if res["ring_overhead"] <= 0.25 else "missed"
        print(f"ring removal overhead (b/a - 1): {res['ring_overhead']:.1%} (<= 25 %: {ok})")
    print(f"(a) within 10 s: {'yes' if res['a_within_10s'] else 'no'}")
    rows = f"rows {band['rows'][0]}..{band['rows'][1]}"
    if "identical" in band:
        print(f"{rows} within --max-gpu-memory {band['max_gpu_memory']}: "
              f"{'byte-identical' if band['identical'] else 'DIFFERENT'}, max abs difference "
              f"{band['max_abs_diff']:.3g} ({band['slices'][0]} slices, {band['format']})")
    else:
        print(f"{rows}: check {band.get('skipped', 'not run: an xct run failed')}")


def main():
    repo = pathlib.Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=2048, help="rows = columns = N")
    ap.add_argument("--angles", type=int, help="projections (default N)")
    ap.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path("/dev/shm/xct-bench"))
    ap.add_argument("--xct", type=pathlib.Path, default=repo / "build/cli/xct")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--json", type=pathlib.Path)
    ap.add_argument("--keep", action="store_true", help="reuse a scan of the same parameters")
    ap.add_argument("--skip-all-rings", action="store_true", help="no --rings all run")
    ap.add_argument("--small-gpu-memory", default="256M", help="--max-gpu-memory of step 4")
    args = ap.parse_args()
    n, n_ang = args.size, args.angles or args.size
    if not args.xct.is_file():
        sys.exit(f"gpu_pipeline_bench: no xct binary at {args.xct} (--xct)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    scan = args.workdir / f"scan_{n}x{n_ang}.h5"
    kept = False
    if args.keep and scan.exists():
        with h5py.File(scan, "r") as f:
            kept = f.attrs.get("xct_bench") == scan_meta(n, n_ang)
    if not kept:
        scan.unlink(missing_ok=True)
    out_bytes = 4 * n ** 3
    need = out_bytes + (0 if kept else 2 * n * n * (n_ang + N_FLATS + N_DARKS))
    if shutil.disk_usage(args.workdir).free < need:
        sys.exit(f"gpu_pipeline_bench: {args.workdir} has less than {need / 1e9:.1f} GB free")
    res = {"size": n, "angles": n_ang, "device": args.device, "xct": str(args.xct),
           "workdir": str(args.workdir), "workdir_fs": fs_type(args.workdir),
           "generate_s": None if kept else generate(scan, n, n_ang),
           "scan_bytes": scan.stat().st_size, "volume_bytes": out_bytes,
           "dd": dd_rates(scan, args.workdir, out_bytes), "runs": {}}
    floor_r = res["scan_bytes"] / (res["dd"]["read_gb_s"] * 1e9)
    floor_w = out_bytes / (res["dd"]["write_gb_s"] * 1e9)
    res["floor_s"] = {"read": floor_r, "write": floor_w, "serial": floor_r + floor_w,
                      "overlapped": max(floor_r, floor_w)}

    rings = [("a", "none"), ("b", "sort")] + ([] if args.skip_all_rings else [("c", "all")])
    for key, mode in rings:
        print(f"({key}) xct recon --rings {mode}", flush=True)
        out = args.workdir / f"rec_{key}"
        res["runs"][key] = run_xct(args, scan, out, ["--rings", mode],
                                   args.workdir / f"xct_{key}.log")
        res["runs"][key]["rings"] = mode
        shutil.rmtree(out, ignore_errors=True)  # the volume is as large as the scan twice
    a, b = res["runs"]["a"], res["runs"]["b"]
    res["ring_overhead"] = b["wall_s"] / a["wall_s"] - 1 if a["ok"] and b["ok"] else None
    res["a_within_10s"] = a["ok"] and a["wall_s"] <= 10.0
    res["band"] = band_check(args, scan, res)

    print_table(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0 if all(r["ok"] for r in res["runs"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
