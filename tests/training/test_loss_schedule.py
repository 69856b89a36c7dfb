"""Loss coefficients by step (XLM's `lambda_ae`): parsing, the value at a
step, the chunks they switch off, and the step they scale."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.training import child_process
from xlm_keras.training.loss_schedule import coefficient
from xlm_keras.training.loss_schedule import parse_schedule
from xlm_keras.training.trainer import objective_schedule


def test_schedule_is_linear_between_points_and_flat_outside():
    schedule = parse_schedule("100:1, 300:0.1,500:0")
    # Hand-computed: halfway from 1 to 0.1 is 0.55; halfway from 0.1 to 0 is 0.05.
    expected = {0: 1.0, 100: 1.0, 200: 0.55, 300: 0.1, 400: 0.05, 500: 0.0, 9000: 0.0}
    for step, value in expected.items():
        assert coefficient(schedule, step) == pytest.approx(value)
    assert coefficient(parse_schedule(""), 12345) == 1.0


@pytest.mark.parametrize(
    "text, problem",
    [
        ("0:1,100", "'100' is not <step>:<value>"),
        ("0:1:2", "is not <step>:<value>"),
        ("0:x", "is not <step>:<value>"),
        ("0:1,0:0.5", "steps must increase"),
        ("0:-1", "must be finite and >= 0"),
        ("0:nan", "must be finite and >= 0"),
    ],
)
def test_bad_schedules_name_the_point(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_schedule(text)


def test_an_objective_at_lambda_zero_sits_its_chunks_out():
    schedules = {"ae": parse_schedule("0:1,20:1,30:0")}
    chunks = objective_schedule({"ae": 1, "bt": 1}, 6, schedules, chunk_steps=10)
    assert chunks == ["ae", "bt", "ae", "bt", "bt", "bt"]
    with pytest.raises(ValueError, match="0 at step 30"):
        objective_schedule({"ae": 1}, 6, schedules, chunk_steps=10)


def one_sgd_step(loss_weight, clip_norm, initial=None):
    """One plain-SGD step of xlm_tiny's MLM on `mlm_batch`; returns the
    weights before and the change."""
    step, model, iterator = child_process.tiny_mlm_train_step(
        lambda: keras.optimizers.SGD(10.0), initial, clip_norm=clip_norm
    )
    before = model.get_weights()
    step.run(iterator, tf.constant(1), None, tf.constant(loss_weight))
    return before, [after - first for after, first in zip(model.get_weights(), before)]


def test_the_coefficient_scales_the_gradient_before_the_clip():
    initial, full = one_sgd_step(1.0, clip_norm=0.0)
    _, weighted = one_sgd_step(0.25, clip_norm=0.0, initial=initial)
    assert max(float(np.abs(d).max()) for d in full) > 1e-2
    for got, want in zip(weighted, full):
        np.testing.assert_allclose(got, 0.25 * want, rtol=1e-3, atol=1e-6)
    # A clip far below both gradients' norms: both steps have the clip's length.
    _, clipped_full = one_sgd_step(1.0, clip_norm=1e-3, initial=initial)
    _, clipped_weighted = one_sgd_step(0.25, clip_norm=1e-3, initial=initial)
    for got, want in zip(clipped_weighted, clipped_full):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-6)
