"""Evaluation metrics against hand-computed cases."""

import numpy as np
import pytest

from xlm_keras.pretraining.evaluation import retrieval_accuracy


def test_retrieval_accuracy_hand_computed():
    source = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # Row 2's translation is closer to source 0 than to source 2 (cosine).
    target = np.array([[2.0, 0.1], [0.1, 3.0], [1.0, 0.2]])
    forward, backward = retrieval_accuracy(source, target)
    # source0 -> target0 (ok), source1 -> target1 (ok), source2 -> nearest of
    # [cos 0.73, 0.74, 0.83] = target2 (ok).
    assert forward == pytest.approx(1.0)
    # target2 -> nearest of [source0 0.98, source1 0.20, source2 0.83] = source0.
    assert backward == pytest.approx(2 / 3)
