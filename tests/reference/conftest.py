"""Shared fixtures for the cross-checks of xct against Algotom.

Each test runs one Algotom function and the matching xct step (through the xct_step tool)
on the same float32 arrays and compares the results. Algotom runs with NUMBA_NUM_THREADS=1,
because its parallel CPU back-projection races (see docs/preprocessing.md).
"""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

ROOT = pathlib.Path(__file__).resolve().parents[2]
REAL_DATA = pathlib.Path(os.environ.get("XCT_REAL_DATA_DIR", ROOT.parent / "shared" / "data" / "real"))


def step_binary():
    path = os.environ.get("XCT_STEP", str(ROOT / "build" / "tests" / "xct_step"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"xct_step not found at {path}; build the project or set XCT_STEP")
    return path


def run_step(tmp_path, step, arrays, **params):
    """Runs `xct_step STEP` on float32 copies of `arrays`.

    Returns (outputs, info): the list of output arrays and the dict of scalar results.
    """
    inputs = []
    for i, a in enumerate(arrays):
        p = tmp_path / f"{step}_in{i}.npy"
        np.save(p, np.ascontiguousarray(a, dtype=np.float32))
        inputs.append(str(p))
    prefix = tmp_path / f"{step}_out"
    args = [f"{k}={_fmt(v)}" for k, v in params.items()]
    done = subprocess.run([step_binary(), step, str(prefix), *inputs, *args],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"xct_step {step} failed ({done.returncode}): {done.stderr.strip()}")
    info = json.loads((tmp_path / f"{step}_out.json").read_text())
    outputs = [np.load(tmp_path / f"{step}_out_{i}.npy") for i in range(info["outputs"])]
    return outputs, info


def _fmt(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def rel_l2(ours, ref):
    """||ours - ref|| / ||ref||, in float64."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    return float(np.linalg.norm(ours - ref) / np.linalg.norm(ref))


@pytest.fixture
def stable_sort(monkeypatch):
    """Algotom's column sort with ties kept in angle order, as xct sorts (docs/rings.md)."""
    import algotom.util.utility as util

    def sort_forward(mat, axis=0):
        assert axis == 0
        index = np.argsort(mat, axis=0, kind="stable")
        sorted_mat = np.take_along_axis(np.asarray(mat, dtype=np.float64), index, axis=0)
        return sorted_mat, index.astype(np.float64)
    monkeypatch.setattr(util, "sort_forward", sort_forward)


@pytest.fixture
def xct(tmp_path):
    """xct(step, arrays, **params) -> (outputs, info)."""
    return lambda step, arrays, **params: run_step(tmp_path, step, arrays, **params)
