"""The typology passes scikit-learn's estimator checks for clusterers; a check that cannot pass is named with its
reason."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from models.typology import Typology


def expected_failures(estimator) -> dict[str, str]:
    return {
        "check_clustering": (
            "labels_ are the planners' type numbers 1 … k ('Typ 1'), kept stable across years and stored, "
            "reported and served as such; the check wants 0 … k-1. Everything else it asks holds: a label per "
            "sample, every type non-empty and consecutive, ARI > 0.4 on its blobs, fit_predict equal to labels_"
        ),
    }


@parametrize_with_checks([Typology(k_min=2, k_max=4, random_state=0),
                          Typology(method="ward", k_min=2, k_max=3, random_state=0),
                          Typology(method="gmm", k_min=2, k_max=3, random_state=0)],
                         expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
