"""TokenEmbedding and assign_in_blocks: weights written and saved in row
blocks come back exactly."""

import keras
import numpy as np
import pytest

from xlm_keras.layers import token_embedding
from xlm_keras.layers.token_embedding import TokenEmbedding
from xlm_keras.layers.token_embedding import assign_in_blocks


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 3 rows of 4 float32s (48 bytes)."""
    monkeypatch.setattr(token_embedding, "BLOCK_BYTES", 48)


@pytest.mark.parametrize("shape", [(10, 4), (7, 2, 2), (1, 16)])
def test_assign_in_blocks_writes_every_row(small_blocks, shape):
    variable = keras.Variable(np.zeros(shape, "float32"))
    value = np.random.default_rng(0).normal(size=shape)  # float64: cast per block.
    assign_in_blocks(variable, value)
    np.testing.assert_array_equal(variable.numpy(), value.astype("float32"))


@pytest.mark.parametrize("tie_weights", [True, False])
def test_token_table_saves_and_loads_in_blocks(small_blocks, tmp_path, tie_weights):
    def model():
        inputs = keras.Input((None,), dtype="int32")
        layer = TokenEmbedding(10, 4, tie_weights=tie_weights, name="tokens")
        return keras.Model(inputs, layer(inputs)), layer

    saved, saved_layer = model()
    path = str(tmp_path / "model.weights.h5")
    saved.save_weights(path)
    loaded, loaded_layer = model()
    for variable in loaded_layer.weights:
        variable.assign(np.zeros(variable.shape, "float32"))
    loaded.load_weights(path)
    assert len(loaded_layer.weights) == (1 if tie_weights else 2)
    for expected, actual in zip(saved_layer.weights, loaded_layer.weights):
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())
