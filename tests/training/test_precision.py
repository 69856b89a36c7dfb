"""`precision_policy`: the run's Keras dtype policy inside the block, the
previous one after it (the runs' bfloat16 tests are with each run)."""

import keras
import pytest

from xlm_keras.training.precision import precision_policy


def test_the_policy_is_set_inside_and_put_back_after():
    before = keras.mixed_precision.global_policy().name
    with precision_policy("mixed_bfloat16"):
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        assert keras.layers.Dense(2).compute_dtype == "bfloat16"
    assert keras.mixed_precision.global_policy().name == before
    with pytest.raises(RuntimeError), precision_policy("mixed_bfloat16"):
        raise RuntimeError("a failed run puts the policy back too")
    assert keras.mixed_precision.global_policy().name == before
    with precision_policy(""):  # Not configured: the current policy.
        assert keras.mixed_precision.global_policy().name == before
