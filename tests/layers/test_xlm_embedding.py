"""`XLMEmbedding`: the fixed sinusoidal position table of XLM (the other
embedding options are tested through `XLMBackbone`, tests/models/)."""

import numpy as np

from xlm_keras.layers import XLMEmbedding


def test_sinusoidal_table_is_xlm_layout():
    """XLM: pe[p, 2i] = sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(same)."""
    layer = XLMEmbedding(10, 8, 16, position_embedding="sinusoidal")
    layer.build((1, 6))
    layer.token_embedding.embeddings.assign(np.zeros((10, 8), "float32"))
    table = np.asarray(layer(np.zeros((1, 6), "int32")))[0]
    p = np.arange(6)[:, None]
    angle = p / np.power(10000, 2 * (np.arange(8) // 2) / 8)[None, :]
    expected = np.where(np.arange(8) % 2 == 0, np.sin(angle), np.cos(angle))
    np.testing.assert_allclose(table, expected, atol=1e-5)
    assert layer.count_params() == 80  # Only the token table is trainable.
