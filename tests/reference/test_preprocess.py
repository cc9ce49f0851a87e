"""Flat-field correction and zinger removal: xct against Algotom on the same inputs."""
import numpy as np
import pytest
import tifffile

from algotom.prep import correction, removal
from conftest import REAL_DATA, rel_l2

DLS = REAL_DATA / "dls-24737-tiff"


@pytest.fixture(scope="module")
def dls_scan():
    """The Diamond TIFF scan: 91 projections of 135 x 160, one flat, one dark."""
    proj = np.stack([tifffile.imread(DLS / "tiffs" / f"raw_{i:05d}.tiff") for i in range(91)])
    flat = tifffile.imread(DLS / "flat_00001.tiff").astype(np.float32)
    dark = tifffile.imread(DLS / "dark_00001.tiff").astype(np.float32)
    return proj.astype(np.float32), flat, dark


def test_flat_field_matches_algotom_on_real_scan(xct, dls_scan):
    proj, flat, dark = dls_scan
    ref = correction.flat_field_correction(proj, flat, dark)
    (ours,), info = xct("flat_field", [proj, flat, dark])
    # Where flat - dark <= 0 and where raw <= dark the two differ on purpose: Algotom replaces
    # exact zeros of flat - dark by the mean over all pixels (zeros included) and leaves
    # non-positive transmissions alone; xct uses the mean of the good pixels and half a count.
    good = (flat - dark > 0)[None, :, :] & (proj - dark > 0)
    assert info["counts"]["bad_flat_pixels"] == int(np.sum(flat - dark <= 0))
    assert info["counts"]["nonpositive_samples"] == int(np.sum(proj - dark <= 0))
    assert rel_l2(ours[good], ref[good]) <= 1e-6
    assert np.all(np.isfinite(ours))


def test_flat_field_of_a_sinogram_matches_algotom(xct, dls_scan):
    proj, flat, dark = dls_scan
    sino = proj[:, 67, :]
    ref = correction.flat_field_correction(sino, flat[67], dark[67])
    (ours,), _ = xct("flat_field", [sino, flat[67:68], dark[67:68]])
    good = (flat[67] - dark[67] > 0)[None, :] & (sino - dark[67] > 0)
    assert rel_l2(ours[good], ref[good]) <= 1e-6


@pytest.mark.parametrize("threshold,size", [(0.08, 1), (0.08, 2), (0.05, 2)])
@pytest.mark.parametrize("check_size", [False, True])
def test_remove_zinger_matches_algotom_on_real_sinogram(xct, dls_scan, threshold, size,
                                                        check_size):
    proj, flat, dark = dls_scan
    sino = correction.flat_field_correction(proj[:, 67, 1:], flat[67, 1:], dark[67, 1:])
    sino = sino.astype(np.float32)
    rng = np.random.default_rng(7)
    spikes = rng.integers(0, sino.size, 40)
    sino.flat[spikes] *= rng.uniform(1.5, 3.0, spikes.size).astype(np.float32)
    ref = removal.remove_zinger(sino, threshold, size, check_size)
    (ours,), info = xct("remove_zinger", [sino], threshold=threshold, size=size,
                        check_size=check_size, frame_check=False)
    changed_ref = ref != sino
    changed_ours = ours != sino
    # The detection mask is discrete: it must agree sample for sample.
    assert np.array_equal(changed_ref, changed_ours)
    assert info["replaced"] >= np.count_nonzero(changed_ref)
    assert rel_l2(ours, ref) <= 1e-6
    if check_size:
        return
    # xct's default also asks a zinger to stand out from the angles next to it: it flags a
    # subset of Algotom's samples, and still every planted spike that Algotom finds.
    (kept,), _ = xct("remove_zinger", [sino], threshold=threshold, size=size)
    changed_kept = kept != sino
    assert not np.any(changed_kept & ~changed_ref)
    found_ref = spikes[changed_ref.flat[spikes]]
    assert np.all(changed_kept.flat[found_ref])


def test_remove_zinger_on_neutron_sinogram(xct):
    raw = tifffile.imread(REAL_DATA / "sarepy-neutron" / "sinogram_360_neutron_image.tif")
    raw = raw.astype(np.float32)
    sino = raw / np.mean(raw[:, :30], axis=1, keepdims=True)
    ref = removal.remove_zinger(sino, 0.08, 1)
    (ours,), _ = xct("remove_zinger", [sino], threshold=0.08, size=1, frame_check=False)
    assert np.array_equal(ref != sino, ours != sino)
    assert rel_l2(ours, ref) <= 1e-6
