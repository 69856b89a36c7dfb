"""`encoder.hidden_states` gives the Keras backbone's outputs, with or
without the padding in its rows."""

import numpy as np
import pytest

from xlm_keras.inference.encoder import hidden_states
from xlm_keras.inference.encoder import token_states
from xlm_keras.models import XLMBackbone


def _padded_inputs(backbone):
    rng = np.random.default_rng(0)
    lengths = np.array([7, 2, 5])
    padding_mask = (np.arange(7)[None] < lengths[:, None]).astype("int32")
    inputs = {
        "token_ids": rng.integers(3, 1000, [3, 7]).astype("int32") * padding_mask,
        "padding_mask": padding_mask,
    }
    if backbone.has_language_embedding:
        inputs["language_ids"] = np.full([3, 7], 2, "int32")
    return inputs


@pytest.mark.parametrize(
    "preset", ["xlm_tiny", "xlm_roberta_tiny", "xlm_roberta_tiny_prenorm", "xlm_tiny_clm"]
)
def test_same_hidden_states_as_keras_on_padded_rows(preset):
    backbone = XLMBackbone.from_preset(preset)
    inputs = _padded_inputs(backbone)
    padding_mask = inputs["padding_mask"]
    expected = np.asarray(backbone(inputs, training=False))
    got = np.asarray(hidden_states(backbone, inputs))
    real = padding_mask[..., None].astype(bool)
    np.testing.assert_allclose(
        np.where(real, got, 0), np.where(real, expected, 0), atol=1e-5, rtol=1e-5
    )


@pytest.mark.parametrize("preset", ["xlm_tiny", "xlm_roberta_tiny_prenorm"])
def test_rows_without_padding_are_the_tokens_hidden_states(preset):
    backbone = XLMBackbone.from_preset(preset)
    inputs = _padded_inputs(backbone)
    real = inputs["padding_mask"].astype(bool)
    expected = np.asarray(hidden_states(backbone, inputs))
    rows, layout = token_states(backbone, inputs, drop_padding=True)
    assert rows.shape == (real.sum(), backbone.hidden_dim)
    np.testing.assert_allclose(rows, expected[real], atol=1e-5, rtol=1e-5)
    grid = np.asarray(layout.grid(rows))
    np.testing.assert_allclose(grid[real], expected[real], atol=1e-5, rtol=1e-5)
    assert not grid[~real].any()
