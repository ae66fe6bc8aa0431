"""Every LVQ estimator passes scikit-learn's estimator checks; a check that cannot pass is named with its reason."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from models.lvq import GLVQ, GMLVQ, LGMLVQ


def expected_failures(estimator) -> dict[str, str]:
    if isinstance(estimator, GMLVQ):
        return {
            "check_class_weight_classifiers": (
                "with class weights 1000 : 0.0001 only class 0 enters the cost; on the binary problem one global "
                "relevance matrix then shrinks distances to the class-0 prototype along a single direction and "
                "predicts class 0 for 36 % of the test points instead of the check's 87 % (3 classes: 100 %)"
            ),
        }
    return {}


@parametrize_with_checks([GLVQ(random_state=0), GMLVQ(random_state=0), LGMLVQ(random_state=0, max_iter=300)],
                         expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
