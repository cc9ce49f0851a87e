"""Ring removal on the simulator's stripes: xct against Algotom on flat-fielded sinograms of
the simulated cell, one stripe kind at a time and the simulator's whole mix.

`xct_step sim_sinogram` makes the sinograms (row 4 of an 8-row band through the pellet,
256 columns, 361 angles, realistic noise, xct's flat-field). Dead and unresponsive columns
hold tied values, so Algotom runs with the stable sort xct uses (conftest.stable_sort).
"""
import numpy as np
import pytest

from algotom.prep import removal
from conftest import rel_l2

TOLERANCE = 1e-3  # relative L2 between xct and Algotom
KINDS = ["full", "partial", "fluctuating", "dead", "unresponsive", "large", "every"]

# The method Vo et al. recommend for each kind, besides remove_all_stripe.
TARGETED = {
    "full": ("remove_stripe_based_sorting", removal.remove_stripe_based_sorting),
    "partial": ("remove_stripe_based_filtering", removal.remove_stripe_based_filtering),
    "fluctuating": ("remove_dead_stripe", removal.remove_dead_stripe),
    "dead": ("remove_dead_stripe", removal.remove_dead_stripe),
    "unresponsive": ("remove_dead_stripe", removal.remove_dead_stripe),
    "large": ("remove_large_stripe", removal.remove_large_stripe),
    "every": ("remove_stripe_based_fitting", removal.remove_stripe_based_fitting),
}


@pytest.fixture(scope="module")
def sinograms(tmp_path_factory):
    import conftest
    tmp = tmp_path_factory.mktemp("sim")
    out = {}
    for kind in KINDS:
        (striped, clean), _ = conftest.run_step(tmp, "sim_sinogram", [], kind=kind, cols=256,
                                                angles=361, seed=3)
        out[kind] = striped, clean
    return out


@pytest.mark.usefixtures("stable_sort")
@pytest.mark.parametrize("kind", KINDS)
def test_all_stripe_matches_algotom_on_simulated_stripes(xct, sinograms, kind):
    striped, clean = sinograms[kind]
    assert not np.array_equal(striped, clean)  # the defects are there
    ref = removal.remove_all_stripe(striped, 3.0, 51, 21)
    (ours, _, _), _ = xct("remove_all_stripe", [striped])
    assert rel_l2(ours, ref) <= TOLERANCE
    if kind == "every":
        # Of the simulator's mix both remove at least 90 % of the stripe energy (docs/rings.md;
        # one kind alone can fare worse, e.g. a partial stripe on the rotation axis).
        injected = np.sum((striped - clean) ** 2)
        ref_clean = removal.remove_all_stripe(clean, 3.0, 51, 21)
        assert np.sum((ref - ref_clean) ** 2) < 0.1 * injected


@pytest.mark.usefixtures("stable_sort")
@pytest.mark.parametrize("kind", KINDS)
def test_targeted_method_matches_algotom_on_simulated_stripes(xct, sinograms, kind):
    striped, _ = sinograms[kind]
    step, function = TARGETED[kind]
    ref = function(striped)
    ours = xct(step, [striped])[0][0]
    assert rel_l2(ours, ref) <= TOLERANCE
