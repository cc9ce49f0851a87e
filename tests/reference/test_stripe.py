"""Ring (stripe) removal: xct against Algotom's algotom.prep.removal on the same float32
sinograms, outputs within 1e-3 relative L2 and stripe masks equal column for column.

Algotom sorts each column with NumPy's default (unstable) argsort, so tied values, such as a
dead or unresponsive column's constant reading, come back in an arbitrary order; xct sorts
stably (docs: recon/stripe.hpp). Where the data hold ties, Algotom runs with a stable sort
patched in (`stable_sort`); on tie-free data the unpatched Algotom is the reference.
"""
import numpy as np
import pytest
import scipy.ndimage as ndi
import tifffile

import algotom.util.utility as util
from algotom.prep import removal
from conftest import REAL_DATA, rel_l2

TOLERANCE = 1e-3  # relative L2 between xct and Algotom
# Filtering: xct computes the low-pass in float64, as numpy.fft does, and rounds it to float32
# once, so its output is Algotom's float32 output sample for sample (measured: identical).
FILTER_TOLERANCE = 1e-6


def synthetic_sinogram(n_angles=361, n_cols=320, dead_columns=True, seed=0):
    """Discs seen over 180 degrees with 1 % noise and one stripe of each kind of Vo et al."""
    rng = np.random.default_rng(seed)
    theta = np.linspace(0.0, np.pi, n_angles)[:, None]
    u = np.arange(n_cols) - (n_cols - 1) / 2.0
    path = np.zeros((n_angles, n_cols))
    for x0, y0, radius, mu in [(0, 0, 0.4, 0.02), (25, -10, 0.12, 0.05), (-40, 30, 0.08, 0.08)]:
        r = radius * n_cols
        s = u[None, :] - (x0 * np.cos(theta) - y0 * np.sin(theta))
        path += 2 * mu * np.sqrt(np.clip(r * r - s * s, 0, None))
    sino = np.exp(-path / 10) * (1 + 0.01 * rng.standard_normal((n_angles, n_cols)))
    col = [int(c * n_cols / 320) for c in (40, 41, 90, 120, 150, 180, 220)]  # at 320 columns
    sino[:, col[0]] *= 1.03  # full stripes
    sino[:, col[1]] *= 0.97
    sino[n_angles // 3: 2 * n_angles // 3, col[2]] *= 1.05  # partial
    sino[:, col[3]] *= 1 + 0.06 * rng.standard_normal(n_angles)  # fluctuating
    if dead_columns:
        sino[:, col[4]] = 0.37  # unresponsive: one reading whatever the light
        sino[:, col[5]] = 1e-3  # dead
    profile = np.sin(np.pi * (np.arange(10) + 0.5) / 10)
    sino[:, col[6]:col[6] + 10] *= 1 + 0.05 * profile  # large
    return sino.astype(np.float32)


@pytest.fixture(scope="module")
def neutron():
    """The real 360-degree neutron sinogram, normalised by its open-beam columns."""
    raw = tifffile.imread(REAL_DATA / "sarepy-neutron" / "sinogram_360_neutron_image.tif")
    raw = raw.astype(np.float32)
    return (raw / np.mean(raw[:, :30], axis=1, keepdims=True)).astype(np.float32)


# Algotom's stripe masks, recomputed step by step from its building blocks (the removal
# functions do not return them).
def algotom_large_mask(sino, snr=3.0, size=51, drop_ratio=0.1):
    sino = np.float32(sino)
    n = sino.shape[0]
    ndrop = int(0.5 * np.clip(drop_ratio, 0.0, 0.8) * n)
    sorted_sino, _ = util.sort_forward(sino, axis=0)
    smooth = ndi.median_filter(sorted_sino, (1, size))
    l1 = np.mean(sorted_sino[ndrop:n - ndrop], axis=0)
    l2 = np.mean(smooth[ndrop:n - ndrop], axis=0)
    ratio = np.divide(l1, l2, out=np.ones_like(l1), where=l2 != 0)
    return ndi.binary_dilation(util.detect_stripe(ratio, snr), iterations=1)


def algotom_dead_mask(sino, snr=3.0, size=51, smooth_strength=10):
    smooth = np.apply_along_axis(ndi.uniform_filter1d, 0, sino, smooth_strength)
    deviation = np.sum(np.abs(sino - smooth), axis=0)
    background = ndi.median_filter(deviation, size)
    background[background == 0.0] = np.mean(np.abs(background))
    mask = ndi.binary_dilation(util.detect_stripe(deviation / background, snr), iterations=1)
    mask[:2] = False
    mask[-2:] = False
    return mask


def assert_mask(ours, ref):
    """Masks come back from xct_step as float 0/1 arrays."""
    assert np.array_equal(ours.astype(bool), np.asarray(ref, dtype=bool)), (
        f"xct flags {np.flatnonzero(ours)}, Algotom {np.flatnonzero(ref)}")


@pytest.mark.parametrize("size,dim", [(21, 1), (31, 1), (5, 2)])
def test_sorting_matches_algotom_on_tie_free_data(xct, size, dim):
    sino = synthetic_sinogram(dead_columns=False)
    ref = removal.remove_stripe_based_sorting(sino, size, dim)
    (ours,), _ = xct("remove_stripe_based_sorting", [sino], size=size, dim=dim)
    assert rel_l2(ours, ref) <= TOLERANCE


@pytest.mark.usefixtures("stable_sort")
def test_sorting_matches_algotom_with_ties(xct, neutron):
    for sino in (synthetic_sinogram(), neutron):
        ref = removal.remove_stripe_based_sorting(sino)
        (ours,), _ = xct("remove_stripe_based_sorting", [sino])
        assert rel_l2(ours, ref) <= TOLERANCE


@pytest.mark.parametrize("sigma,size,sort", [(3, 21, False), (5, 31, False)])
def test_filtering_matches_algotom(xct, sigma, size, sort):
    sino = synthetic_sinogram(dead_columns=False)
    ref = removal.remove_stripe_based_filtering(sino, sigma, size, sort=sort)
    (ours,), _ = xct("remove_stripe_based_filtering", [sino], sigma=sigma, size=size, sort=sort)
    assert rel_l2(ours, ref) <= FILTER_TOLERANCE


@pytest.mark.usefixtures("stable_sort")
def test_filtering_with_sorting_matches_algotom_on_real_data(xct, neutron):
    # The smooth part, rounded to float32 from the same float64 values, sorts in Algotom's
    # order (ties stable); the patched sort returns float64, so `ref` differs from our float32
    # output by its rounding (2e-8).
    ref = removal.remove_stripe_based_filtering(neutron)
    (ours,), _ = xct("remove_stripe_based_filtering", [neutron])
    assert rel_l2(ours, ref) <= FILTER_TOLERANCE


@pytest.mark.parametrize("order,sigma,num_chunk", [(2, 10, 1), (3, 5, 1), (1, 10, 3)])
def test_fitting_matches_algotom(xct, order, sigma, num_chunk):
    sino = synthetic_sinogram()
    ref = removal.remove_stripe_based_fitting(sino, order, sigma, num_chunk=num_chunk)
    (ours,), _ = xct("remove_stripe_based_fitting", [sino], order=order, sigma=sigma,
                     num_chunk=num_chunk)
    assert rel_l2(ours, ref) <= TOLERANCE


@pytest.mark.usefixtures("stable_sort")
def test_fitting_with_sorting_on_real_data_keeps_samples_where_algotom_divides_by_zero(
        xct, neutron):
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = removal.remove_stripe_based_fitting(neutron, 3, sort=True, num_chunk=3)
    (ours,), _ = xct("remove_stripe_based_fitting", [neutron], order=3, sort=True, num_chunk=3)
    finite = np.isfinite(ref)
    assert not finite.all()  # zero readings make Algotom's fit zero somewhere
    assert np.isfinite(ours).all()
    assert rel_l2(ours[finite], ref[finite]) <= TOLERANCE
    assert np.array_equal(ours[~finite], neutron[~finite])


@pytest.mark.usefixtures("stable_sort")
@pytest.mark.parametrize("snr,size,drop_ratio,norm",
                         [(3.0, 51, 0.1, True), (2.0, 31, 0.3, False), (1.5, 71, 0.0, True)])
def test_large_stripe_matches_algotom(xct, neutron, snr, size, drop_ratio, norm):
    for sino in (synthetic_sinogram(), neutron):
        ref = removal.remove_large_stripe(sino, snr, size, drop_ratio, norm)
        (ours, mask), info = xct("remove_large_stripe", [sino], snr=snr, size=size,
                                 drop_ratio=drop_ratio, norm=norm)
        ref_mask = algotom_large_mask(sino, snr, size, drop_ratio)
        assert_mask(mask, ref_mask)
        assert info["large_columns"] == np.count_nonzero(ref_mask)
        assert rel_l2(ours, ref) <= TOLERANCE


def test_dead_stripe_without_residual_matches_algotom(xct):
    sino = synthetic_sinogram()
    ref = removal.remove_dead_stripe(sino, 3.0, 51, residual=False)
    (ours, mask), _ = xct("remove_dead_stripe", [sino], residual=False)
    ref_mask = algotom_dead_mask(sino)
    # The fluctuating, unresponsive and dead columns, each dilated by one.
    assert np.array_equal(np.flatnonzero(ref_mask), [119, 120, 121, 149, 150, 151, 179, 180, 181])
    assert_mask(mask, ref_mask)
    assert rel_l2(ours, ref) <= TOLERANCE


@pytest.mark.usefixtures("stable_sort")
@pytest.mark.parametrize("snr,size,smooth_strength", [(3.0, 51, 10), (2.0, 31, 5)])
def test_dead_stripe_matches_algotom(xct, neutron, snr, size, smooth_strength):
    for sino in (synthetic_sinogram(), neutron):
        ref = removal.remove_dead_stripe(sino, snr, size, True, smooth_strength)
        (ours, mask), _ = xct("remove_dead_stripe", [sino], snr=snr, size=size,
                              smooth_strength=smooth_strength)
        assert_mask(mask, algotom_dead_mask(sino, snr, size, smooth_strength))
        assert rel_l2(ours, ref) <= TOLERANCE


@pytest.mark.usefixtures("stable_sort")
@pytest.mark.parametrize("snr,la_size,sm_size,dim", [(3.0, 51, 21, 1), (3.0, 51, 17, 1),
                                                     (2.5, 61, 5, 2)])
def test_all_stripe_matches_algotom(xct, neutron, snr, la_size, sm_size, dim):
    for sino in (synthetic_sinogram(), neutron):
        ref = removal.remove_all_stripe(sino, snr, la_size, sm_size, dim=dim)
        (ours, dead, large), _ = xct("remove_all_stripe", [sino], snr=snr, la_size=la_size,
                                     sm_size=sm_size, dim=dim)
        assert_mask(dead, algotom_dead_mask(sino, snr, la_size))
        after_dead = removal.remove_dead_stripe(sino, snr, la_size, residual=False)
        assert_mask(large, algotom_large_mask(after_dead, snr, la_size))
        assert rel_l2(ours, ref) <= TOLERANCE


@pytest.mark.parametrize("snr,size,norm", [(3.0, 51, True), (2.0, 31, False)])
def test_interpolation_matches_algotom(xct, neutron, snr, size, norm):
    for sino in (synthetic_sinogram(), neutron):
        ref = removal.remove_stripe_based_interpolation(sino, snr, size, norm=norm)
        (ours, mask), info = xct("remove_stripe_based_interpolation", [sino], snr=snr,
                                 size=size, norm=norm)
        # The detection of algorithm 5 on the float32 sorted image, edges never flagged.
        n = sino.shape[0]
        ndrop = int(0.5 * 0.1 * n)
        sorted_sino = np.sort(sino, axis=0)
        smooth = ndi.median_filter(sorted_sino, (1, size))
        l1 = np.mean(sorted_sino[ndrop:n - ndrop], axis=0)
        l2 = np.mean(smooth[ndrop:n - ndrop], axis=0)
        l1[l1 == 0.0] = 1.0
        ratio = np.divide(l1, l2, out=np.ones_like(l1), where=l2 != 0)
        ref_mask = ndi.binary_dilation(util.detect_stripe(ratio, snr), iterations=1)
        ref_mask[:2] = False
        ref_mask[-2:] = False
        assert_mask(mask, ref_mask)
        assert info["interpolated_columns"] > 0
        assert rel_l2(ours, ref) <= TOLERANCE


@pytest.mark.parametrize("kwargs", [
    {},
    {"window_name": "butter", "size": 2},
    {"wavelet_name": "db5", "level": 9, "size": 3},  # level above the limit: the limit
    {"wavelet_name": "haar", "level": 2},
    {"wavelet_name": "db20", "level": 0},  # level below 1: the limit too
])
def test_wavelet_fft_matches_algotom(xct, neutron, kwargs):
    for sino in (synthetic_sinogram(), neutron, synthetic_sinogram(201, 157)):
        ref = removal.remove_stripe_based_wavelet_fft(sino, **kwargs)
        (ours,), _ = xct("remove_stripe_based_wavelet_fft", [sino], **kwargs)
        assert rel_l2(ours, ref) <= TOLERANCE


@pytest.mark.usefixtures("stable_sort")
def test_wavelet_fft_with_sorting_matches_algotom(xct, neutron):
    ref = removal.remove_stripe_based_wavelet_fft(neutron, sort=True)
    (ours,), _ = xct("remove_stripe_based_wavelet_fft", [neutron], sort=True)
    assert rel_l2(ours, ref) <= TOLERANCE


@pytest.mark.parametrize("snr", [1.5, 2.0, 3.0, 5.0])
def test_detection_masks_match_algotom_on_real_data(xct, neutron, snr):
    (large, dead), info = xct("detect_stripe", [neutron], snr=snr)
    ref_large = algotom_large_mask(neutron, snr)
    assert_mask(large, ref_large)
    assert_mask(dead, algotom_dead_mask(neutron, snr))
    assert info["large_columns"] == np.count_nonzero(ref_large)
