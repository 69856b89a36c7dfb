"""`TrainStep(jit_compile=True)` (the configs' default: under one device the
whole step is one XLA program) trains like the step without XLA."""

import numpy as np
import pytest
import tensorflow as tf

from tests.training import child_process
from xlm_keras.training.optimizer import create_optimizer

pytestmark = pytest.mark.slow  # XLA compilation of the train step.


def train(jit_compile, accumulation_steps, initial=None):
    """Two AdamW steps (clip norm 1) of xlm_tiny's MLM on `mlm_batch` (8
    examples, `accumulation_steps` micro-batches); returns the metric sums,
    the weights before and the weights after."""
    step, model, iterator = child_process.tiny_mlm_train_step(
        lambda: create_optimizer(1e-2, warmup_steps=1, total_steps=10),
        initial,
        child_process.BATCH_SIZE // accumulation_steps,
        clip_norm=1.0,
        accumulation_steps=accumulation_steps,
        jit_compile=jit_compile,
    )
    before = model.get_weights()
    totals = step.run(iterator, tf.constant(2))
    return {k: v.numpy() for k, v in totals.items()}, before, model.get_weights()


@pytest.mark.parametrize("accumulation_steps", [2])
def test_xla_step_matches_step_without_xla(accumulation_steps):
    plain, initial, plain_weights = train(False, accumulation_steps)
    xla, _, xla_weights = train(True, accumulation_steps, initial)
    for key in plain:
        np.testing.assert_allclose(xla[key], plain[key], rtol=1e-5, atol=1e-5)
    assert max(float(np.max(np.abs(w - v))) for w, v in zip(plain_weights, initial)) > 1e-3
    for got, want in zip(xla_weights, plain_weights):
        np.testing.assert_allclose(got, want, atol=1e-5)
