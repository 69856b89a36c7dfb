"""XLMMaskedLM and XLMCausalLM: heads, losses, training, serialisation."""

import keras
import numpy as np
import pytest

from xlm_keras import XLMBackbone
from xlm_keras import XLMCausalLM
from xlm_keras import XLMMaskedLM
from xlm_keras.layers import XLMPredictionHead


def _mlm_batch(num_languages=4, batch=8, length=12, targets=3, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(4, 1000, size=(batch, length)).astype("int32")
    positions = np.sort(rng.choice(np.arange(1, length), size=(batch, targets)), axis=1)
    labels = np.take_along_axis(ids, positions, axis=1)
    ids_masked = ids.copy()
    np.put_along_axis(ids_masked, positions, 3, axis=1)
    x = {
        "token_ids": ids_masked,
        "padding_mask": np.ones_like(ids, bool),
        "mask_positions": positions.astype("int32"),
    }
    if num_languages:
        x["language_ids"] = rng.integers(0, num_languages, size=ids.shape).astype("int32")
    return x, labels


def test_lm_head_styles():
    assert isinstance(XLMMaskedLM.from_preset("xlm_tiny").masked_lm_head, XLMPredictionHead)
    assert isinstance(
        XLMMaskedLM.from_preset("xlm_roberta_tiny").masked_lm_head, keras.layers.Layer
    )
    assert XLMMaskedLM.from_preset("xlm_roberta_tiny").lm_head == "roberta"
    with pytest.raises(ValueError, match="lm_head"):
        XLMMaskedLM(XLMBackbone.from_preset("xlm_tiny"), lm_head="bert")


def test_xlm_head_is_tied_projection_plus_bias():
    task = XLMMaskedLM.from_preset("xlm_tiny")
    x, _ = _mlm_batch()
    bias = np.random.default_rng(1).normal(size=1000).astype("float32")
    task.masked_lm_head.bias.assign(bias)
    hidden = np.asarray(task.backbone({k: v for k, v in x.items() if k != "mask_positions"}))
    gathered = np.take_along_axis(hidden, x["mask_positions"][..., None], axis=1)
    table = np.asarray(task.backbone.token_embedding.embeddings)
    np.testing.assert_allclose(task(x), gathered @ table.T + bias, atol=1e-4)


def test_mlm_loss_ignores_zero_weight_targets():
    task = XLMMaskedLM.from_preset("xlm_tiny")
    task.compile()
    x, labels = _mlm_batch()
    weights = np.ones(labels.shape, "float32")
    weights[:, -1] = 0.0
    garbage = labels.copy()
    garbage[:, -1] = 7
    first = task.evaluate(x, labels, sample_weight=weights, verbose=0, return_dict=True)
    second = task.evaluate(x, garbage, sample_weight=weights, verbose=0, return_dict=True)
    assert first["loss"] == pytest.approx(second["loss"], rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["xlm_tiny", "xlm_roberta_tiny"])
def test_mlm_fit_lowers_loss(preset):
    task = XLMMaskedLM.from_preset(preset)
    task.compile(optimizer=keras.optimizers.Adam(3e-3))
    x, labels = _mlm_batch(num_languages=4 if task.backbone.has_language_embedding else 0)
    history = task.fit(x, labels, epochs=30, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


@pytest.mark.slow
def test_clm_needs_causal_backbone_and_trains():
    with pytest.raises(ValueError, match="causal"):
        XLMCausalLM(XLMBackbone.from_preset("xlm_tiny"))
    task = XLMCausalLM.from_preset("xlm_tiny_clm")
    task.compile(optimizer=keras.optimizers.Adam(3e-3))
    rng = np.random.default_rng(0)
    ids = rng.integers(4, 1000, size=(8, 10)).astype("int32")
    x = {
        "token_ids": ids[:, :-1],
        "padding_mask": np.ones((8, 9), bool),
        "language_ids": np.zeros((8, 9), "int32"),
    }
    history = task.fit(x, ids[:, 1:], epochs=50, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


@pytest.mark.parametrize(
    "task_cls,preset",
    [(XLMMaskedLM, "xlm_tiny"), (XLMMaskedLM, "xlm_roberta_tiny"), (XLMCausalLM, "xlm_tiny_clm")],
)
def test_task_round_trips(task_cls, preset, tmp_path):
    task = task_cls.from_preset(preset)
    x, _ = _mlm_batch()
    if task_cls is XLMCausalLM:
        x.pop("mask_positions")
    if not task.backbone.has_language_embedding:
        x.pop("language_ids")
    # Non-trivial head weights, so that losing them would show.
    for weight in task.weights:
        if "head" in weight.path:
            weight.assign(np.random.default_rng(2).normal(size=weight.shape).astype("float32"))
    expected = task(x)
    task.save(tmp_path / "task.keras")
    reloaded = keras.saving.load_model(tmp_path / "task.keras", safe_mode=True)
    np.testing.assert_array_equal(reloaded(x), expected)
    task.save_to_preset(str(tmp_path / "preset"))
    np.testing.assert_array_equal(task_cls.from_preset(str(tmp_path / "preset"))(x), expected)
