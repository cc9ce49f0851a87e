#!/usr/bin/env python3
"""Writes a Data Exchange scan larger than a small memory budget, quickly and exactly.

1200 projections (0 to 180 degrees, both ends) of 1600 rows x 64 columns, uint16, one
projection per chunk as detectors write them (240 MB): three discs off the rotation axis
(analytic chord lengths, no noise; attenuation rising slowly with the row) over a flat of
20000 counts and a dark of 100. The axis is at column 32.25. Tall and narrow, so that a budget
of a quarter of the scan, less the ~30 MB the process needs anyway, still holds slabs of tens
of rows. Used by tests/cli/recon_scale_test.cpp and bench/recon_vs_algotom.py.

    python3 tests/support/tall_scan.py OUT.h5
"""
import sys

import h5py
import numpy as np

CENTRE = 32.25


def write_tall_scan(out, n_angles=1200, n_rows=1600, n_cols=64):
    theta = np.linspace(0.0, 180.0, n_angles)
    s = np.arange(n_cols) - CENTRE
    rows = np.arange(n_rows)[:, None]
    discs = [(10.0, 3.0, 9.0, 0.06), (-12.0, -5.0, 6.0, 0.1), (0.0, 15.0, 4.0, 0.16)]
    with h5py.File(out, "w") as f:
        d = f.create_dataset("/exchange/data", (n_angles, n_rows, n_cols), np.uint16,
                             chunks=(1, n_rows, n_cols))
        for a0 in range(0, n_angles, 200):
            t = np.deg2rad(theta[a0:a0 + 200])[:, None, None]
            p = np.zeros((len(t), n_rows, n_cols))
            for x0, y0, r, mu in discs:
                u = s[None, None, :] - (x0 * np.cos(t) - y0 * np.sin(t))
                p += 2 * mu * (1 + 0.002 * rows[None]) * np.sqrt(np.clip(r * r - u * u, 0, None))
            d[a0:a0 + len(t)] = np.round(20000 * np.exp(-p) + 100).astype(np.uint16)
        f["/exchange/data_white"] = np.full((4, n_rows, n_cols), 20100, np.uint16)
        f["/exchange/data_dark"] = np.full((2, n_rows, n_cols), 100, np.uint16)
        f["/exchange/theta"] = theta


if __name__ == "__main__":
    write_tall_scan(sys.argv[1])
