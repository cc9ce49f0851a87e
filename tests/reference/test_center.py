"""Cross-checks of xct's centre of rotation and filtered back-projection against Algotom.

Algotom runs on the same float32 arrays: find_center_vo and its metric
(calculate_center_metric), find_center_based_phase_correlation, and fbp_reconstruction
(gpu=False, one numba thread; also row by row against xct's slab step). Real data: row 67 (rows
60-71 for slabs) of the DLS 24737 TIFF scan and the first half of the sarepy neutron sinogram
(algorithms.md section 7.1 lists Algotom's answers, 85.5 and 245.5).
"""
import pathlib

import numpy as np
import pytest
import scipy.ndimage as ndi
import tifffile

from conftest import REAL_DATA, rel_l2

calc = pytest.importorskip("algotom.prep.calculation")
rec = pytest.importorskip("algotom.rec.reconstruction")

METRIC_TOL = 1e-3  # relative L2 of metric curves and slices against Algotom
PC_TOL = 0.05      # px, phase correlation against Algotom


def dls_scan():
    """Flat-fielded projections of the DLS scan (91 x 135 x 160) and their angles (radians)."""
    d = REAL_DATA / "dls-24737-tiff"
    files = sorted((d / "tiffs").glob("*.tif*"))
    proj = np.array([tifffile.imread(f) for f in files], dtype=np.float32)
    flat = tifffile.imread(d / "flat_00001.tiff").astype(np.float32)
    dark = tifffile.imread(d / "dark_00001.tiff").astype(np.float32)
    angles = np.deg2rad(np.loadtxt(d / "angles.txt")[10:101])
    den = flat - dark
    den[den <= 0] = 1.0  # pixel (0, 0) is 0 everywhere
    return np.clip((proj - dark) / den, 1e-3, None).astype(np.float32), angles


def neutron_half():
    """The neutron sinogram normalised by columns 0-29, first half (0-180 degrees)."""
    s = tifffile.imread(REAL_DATA / "sarepy-neutron" / "sinogram_360_neutron_image.tif")
    s = s.astype(np.float32)
    s = s / np.mean(s[:, :30], axis=1, keepdims=True)
    return np.ascontiguousarray(s[: s.shape[0] // 2 + 1]).astype(np.float32)


def disk_sinogram(ncol=320, nang=361, centre=171.35, seed=3):
    """Analytic parallel-beam sinogram of random disks, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    theta = np.linspace(0, np.pi, nang)
    u = np.arange(ncol) - centre
    sino = np.zeros((nang, ncol))
    for _ in range(12):
        r = rng.uniform(5, 30)
        x0, y0 = rng.uniform(-90, 90, 2)
        p = x0 * np.cos(theta) - y0 * np.sin(theta)
        d = u[None, :] - p[:, None]
        sino += 2 * rng.uniform(0.005, 0.02) * np.sqrt(np.clip(r * r - d * d, 0, None))
    return (sino + rng.normal(0, 0.01, sino.shape)).astype(np.float32), centre


def algotom_default_range(ncol):
    return ncol // 2 - ncol // 16, ncol // 2 + ncol // 16


def algotom_fine_metrics(sino, centres, ratio=0.5):
    """Algotom's metric at the fine candidates, on its (2, 2)-denoised sinogram."""
    s = ndi.gaussian_filter(sino, (2, 2), mode="reflect")
    nrow, ncol = s.shape
    mask = calc.make_inverse_double_wedge_mask(2 * nrow, ncol, 0.5 * ratio * ncol)
    flip, comp = np.fliplr(s), np.flipud(s)
    return np.array([calc.calculate_center_metric(c, s, flip, comp, mask) for c in centres])


def algotom_coarse_metrics(sino, centres, ratio=0.5):
    """Algotom's coarse metric (dsp branch) at full-resolution coarse centres."""
    nrow, ncol = sino.shape
    dsp_col = int(np.floor(ncol / 640.0)) if ncol > 1000 else 1
    dsp_row = int(np.floor(nrow / 900.0)) if nrow > 1000 else 1
    s = calc.downsample_cor(ndi.gaussian_filter(sino, (3, 1), mode="reflect"), dsp_row, dsp_col)
    nrow, ncol = s.shape
    mask = calc.make_inverse_double_wedge_mask(2 * nrow, ncol, 0.5 * ratio * ncol)
    flip, comp = np.fliplr(s), np.flipud(s)
    coarse = (np.asarray(centres) - 0.5 * (dsp_col - 1)) / dsp_col
    return np.array([calc.calculate_center_metric(c, s, flip, comp, mask) for c in coarse])


CASES = {
    "dls_row67": lambda: (-np.log(dls_scan()[0][:, 67, :]), None, 85.5),
    "neutron_half": lambda: (neutron_half(), (251 - 50, 251 + 50), 245.5),
    "disks": lambda: (disk_sinogram()[0], None, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_vo_matches_algotom(xct, case):
    sino, rng, expected = CASES[case]()
    sino = np.ascontiguousarray(sino, dtype=np.float32)
    start, stop = rng if rng else algotom_default_range(sino.shape[1])
    ref = calc.find_center_vo(sino.copy(), start=start, stop=stop, ncore=1)
    if expected is not None:
        assert ref == expected  # algorithms.md section 7.1
    (coarse, fine), info = xct("center_vo", [sino], start=start, stop=stop, refine=False)
    # Without the refinement the answer is Algotom's, and so are the metric curves.
    assert info["centre"] == ref
    assert info["vo_centre"] == ref
    assert rel_l2(info["fine_metrics"], algotom_fine_metrics(sino, info["fine_centres"])) <= METRIC_TOL
    assert rel_l2(info["coarse_metrics"],
                  algotom_coarse_metrics(sino, info["coarse_centres"])) <= METRIC_TOL
    # The refinement moves the answer by less than one fine step.
    _, refined = xct("center_vo", [sino], start=start, stop=stop)
    assert abs(refined["centre"] - ref) < 0.25


def test_vo_refinement_is_closer_on_a_known_axis(xct):
    # Disks with the axis at 171.35, between Algotom's 0.25 grid points: the refined answer is
    # within 0.1 px (Algotom's grid alone cannot do better than 0.1 here).
    sino, centre = disk_sinogram()
    _, info = xct("center_vo", [sino], start=140, stop=200)
    assert abs(info["centre"] - centre) <= 0.1


def test_vo_metric_matches_algotom(xct):
    # calculate_center_metric on the sinogram as it is, at integer, half and quarter shifts.
    sino = neutron_half()
    nrow, ncol = sino.shape
    centres = np.array([200.0, 230.5, 245.25, 245.5, 251.0, 260.75, 300.0])
    mask = calc.make_inverse_double_wedge_mask(2 * nrow, ncol, 0.5 * 0.5 * ncol)
    ref = np.array([calc.calculate_center_metric(c, sino, np.fliplr(sino), np.flipud(sino), mask)
                    for c in centres])
    _, info = xct("center_vo_metric", [sino, centres])
    assert rel_l2(info["metrics"], ref) <= METRIC_TOL


def algotom_slice(sino, angles, centre, inclusive):
    """Algotom's slice with its pi / (n - 1) weight turned into ours."""
    a32 = angles.astype(np.float32)
    ref = rec.fbp_reconstruction(sino.copy(), centre, angles=a32, apply_log=False, ratio=None,
                                 filter_name="hann", gpu=False, ncore=1)
    n_ang = len(angles)
    if inclusive:
        # Both grids give interior angles pi / (n - 1); ours gives the two ends half of that.
        ends = np.zeros_like(sino)
        ends[[0, -1]] = sino[[0, -1]]
        ref = ref - 0.5 * rec.fbp_reconstruction(ends, centre, angles=a32, apply_log=False,
                                                 ratio=None, filter_name="hann", gpu=False,
                                                 ncore=1)
    else:
        ref = ref * (n_ang - 1) / n_ang  # half-open grid: pi / n per angle
    return ref


def inside_l2(ours, ref):
    """Relative L2 over the reconstruction circle."""
    n = ref.shape[1]
    y, x = np.mgrid[:n, :n] - (n - 1) / 2
    inside = x * x + y * y < (0.5 * n - 2) ** 2  # rim pixels depend on rounding at s = 0, n-1
    return rel_l2(ours[inside], ref[inside])


def fbp_compare(xct, sino, angles, centre, inclusive, **params):
    """Our slice against Algotom's. fft_friendly=False gives Algotom's padded width exactly;
    the default rounds it up to a 2^a 3^b 5^c 7^d length."""
    (ours,), _ = xct("fbp", [sino, angles], centre=centre, **params)
    return inside_l2(ours, algotom_slice(sino, angles, centre, inclusive))


@pytest.mark.parametrize("centre", [85.5, 80.25])
def test_fbp_matches_algotom_dls(xct, centre):
    proj, angles = dls_scan()
    sino = np.ascontiguousarray(-np.log(proj[:, 67, :]))
    assert fbp_compare(xct, sino, angles, centre, True, fft_friendly=False) <= METRIC_TOL
    # 90 of the angles: a half-open grid over 180 degrees.
    assert fbp_compare(xct, np.ascontiguousarray(sino[:90]), angles[:90], centre, False,
                       fft_friendly=False) <= METRIC_TOL


def test_fbp_matches_algotom_neutron(xct):
    sino = np.ascontiguousarray(-np.log(np.clip(neutron_half(), 1e-3, None)))
    angles = np.linspace(0, np.pi, sino.shape[0])
    assert fbp_compare(xct, sino, angles, 245.5, True, fft_friendly=False) <= METRIC_TOL


def test_fbp_default_padding_near_algotom(xct):
    # The FFT-friendly width (DLS 160 + 2 x 24 = 208 -> 210, neutron 503 + 2 x 75 = 653 -> 672)
    # adds edge samples on the right; the sample fills the field of view, so the slice moves
    # (9e-4 and 1e-4 measured), still within the tolerance.
    proj, angles = dls_scan()
    sino = np.ascontiguousarray(-np.log(proj[:, 67, :]))
    assert fbp_compare(xct, sino, angles, 85.5, True) <= METRIC_TOL
    neutron = np.ascontiguousarray(-np.log(np.clip(neutron_half(), 1e-3, None)))
    assert fbp_compare(xct, neutron, np.linspace(0, np.pi, neutron.shape[0]), 245.5,
                       True) <= METRIC_TOL


@pytest.mark.parametrize("per_row", [False, True])
def test_fbp_slab_matches_algotom_dls(xct, per_row):
    # Rows 60-71 of the DLS scan as one slab (a group of 8 rows and one of 4), at one centre or
    # at two (rows 60-65 at 85.5, 66-71 at 85.0): each slice against Algotom's of its row, and
    # bit for bit the slice the one-row step gives.
    proj, angles = dls_scan()
    sinos = np.ascontiguousarray(np.moveaxis(-np.log(proj[:, 60:72, :]), 1, 0))
    centres = np.where(np.arange(12) < 6, 85.5, 85.0) if per_row else np.array([85.5])
    arrays = [sinos, angles] + ([centres] if per_row else [])
    (slab,), info = xct("fbp_slab", arrays, centre=85.5, fft_friendly=False)
    assert slab.shape == (12, 160, 160)
    for i in range(12):
        c = float(centres[i if per_row else 0])
        ref = algotom_slice(np.ascontiguousarray(sinos[i]), angles, c, True)
        assert inside_l2(slab[i], ref) <= METRIC_TOL
    (single,), _ = xct("fbp", [sinos[7], angles], centre=float(centres[7 if per_row else 0]),
                       fft_friendly=False)
    assert np.array_equal(slab[7], single)


@pytest.mark.parametrize("gradient", [True, False])
def test_phase_correlation_matches_algotom(xct, gradient):
    # The DLS projections at -88.2 and 91.8 degrees, 180 degrees apart (to the 1e-4 degrees
    # of the angle file).
    proj, angles = dls_scan()
    assert abs(angles[-1] - angles[0] - np.pi) < 1e-5
    p0 = np.ascontiguousarray(-np.log(proj[0]))
    p180 = np.ascontiguousarray(-np.log(proj[-1]))
    ref = calc.find_center_based_phase_correlation(p0, p180, gradient=gradient)
    _, info = xct("center_pc", [p0, p180], gradient=gradient)
    assert abs(info["centre"] - ref) <= PC_TOL
