"""TokenEmbedding: tables saved from a read of the variable load back
exactly, tied or not."""

import keras
import numpy as np
import pytest

from xlm_keras.layers.token_embedding import TokenEmbedding


@pytest.mark.parametrize("tie_weights", [True, False])
def test_token_table_saves_and_loads(tmp_path, tie_weights):
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
