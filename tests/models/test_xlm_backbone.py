"""XLMBackbone behaviour: masks, positions, language ids, serialisation."""

import keras
import numpy as np
import pytest

from xlm_keras import XLMBackbone


def _inputs(backbone, token_ids, padding_mask=None, **extra):
    inputs = {
        "token_ids": token_ids,
        "padding_mask": np.ones_like(token_ids, bool) if padding_mask is None else padding_mask,
        **extra,
    }
    if backbone.has_language_embedding and "language_ids" not in inputs:
        inputs["language_ids"] = np.ones_like(token_ids)
    return inputs


def _ids(seed=0, shape=(2, 7)):
    return np.random.default_rng(seed).integers(4, 1000, size=shape).astype("int32")


@pytest.mark.parametrize("preset", ["xlm_tiny", "xlm_roberta_tiny", "xlm_roberta_tiny_prenorm"])
def test_padding_does_not_change_real_tokens(preset):
    backbone = XLMBackbone.from_preset(preset)
    ids = _ids()
    padded = np.concatenate([ids, np.ones((2, 3), "int32")], axis=1)
    mask = np.concatenate([np.ones((2, 7), bool), np.zeros((2, 3), bool)], axis=1)
    short = backbone(_inputs(backbone, ids))
    long = backbone(_inputs(backbone, padded, mask))
    np.testing.assert_allclose(long[:, :7], short, atol=1e-5)


def test_causal_attention_ignores_the_future():
    causal = XLMBackbone.from_preset("xlm_tiny_clm")
    bidirectional = XLMBackbone.from_config({**causal.get_config(), "causal": False})
    bidirectional.set_weights(causal.get_weights())
    ids = _ids()
    changed = ids.copy()
    changed[:, 4:] = 5
    for model, same_prefix in ((causal, True), (bidirectional, False)):
        a = model(_inputs(model, ids))[:, :4]
        b = model(_inputs(model, changed))[:, :4]
        assert np.allclose(a, b, atol=1e-6) == same_prefix


def test_default_positions_equal_explicit_range_and_restart_changes_output():
    backbone = XLMBackbone.from_preset("xlm_roberta_tiny")
    ids = _ids()
    default = backbone(_inputs(backbone, ids))
    explicit = backbone(_inputs(backbone, ids, position_ids=np.tile(np.arange(7), (2, 1))))
    np.testing.assert_allclose(default, explicit, atol=1e-6)
    restarted = np.tile(np.r_[np.arange(4), np.arange(3)], (2, 1)).astype("int32")
    assert not np.allclose(backbone(_inputs(backbone, ids, position_ids=restarted)), default)


def test_language_ids_change_the_output_of_models_with_language_embeddings():
    backbone = XLMBackbone.from_preset("xlm_tiny")
    ids = _ids()
    a = backbone(_inputs(backbone, ids, language_ids=np.zeros_like(ids)))
    b = backbone(_inputs(backbone, ids, language_ids=np.full_like(ids, 3)))
    assert not np.allclose(a, b)


def test_language_ids_are_an_error_without_language_embeddings():
    backbone = XLMBackbone.from_preset("xlm_roberta_tiny")
    ids = _ids()
    with pytest.raises(ValueError, match="no language embeddings"):
        backbone(_inputs(backbone, ids, language_ids=np.zeros_like(ids)))
    no_lang = XLMBackbone.from_config(
        {**XLMBackbone.from_preset("xlm_tiny").get_config(), "use_language_embedding": False}
    )
    with pytest.raises(ValueError, match="no language embeddings"):
        no_lang(_inputs(no_lang, ids, language_ids=np.zeros_like(ids)))


def test_missing_language_ids_and_unknown_inputs_are_errors():
    backbone = XLMBackbone.from_preset("xlm_tiny")
    ids = _ids()
    with pytest.raises(ValueError, match="needs `language_ids`"):
        backbone({"token_ids": ids, "padding_mask": ids > 0})
    with pytest.raises(ValueError, match="Unknown model inputs"):
        backbone(_inputs(backbone, ids, segment_ids=ids))


def test_pre_ln_layout():
    pre = XLMBackbone.from_preset("xlm_roberta_tiny_prenorm")
    post = XLMBackbone.from_preset("xlm_roberta_tiny")
    assert pre.embeddings_layer_norm is None and pre.final_layer_norm is not None
    assert post.embeddings_layer_norm is not None and post.final_layer_norm is None


def test_bad_config_is_rejected():
    config = XLMBackbone.from_preset("xlm_tiny").get_config()
    with pytest.raises(ValueError, match="activation"):
        XLMBackbone.from_config({**config, "activation": "swish"})
    with pytest.raises(ValueError, match="position_embedding"):
        XLMBackbone.from_config({**config, "position_embedding": "rotary"})


@pytest.mark.parametrize("preset", ["xlm_tiny", "xlm_roberta_tiny_prenorm"])
def test_keras_file_and_preset_round_trips(preset, tmp_path):
    backbone = XLMBackbone.from_preset(preset)
    inputs = _inputs(backbone, _ids())
    expected = backbone(inputs)
    backbone.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_array_equal(reloaded(inputs), expected)
    backbone.save_to_preset(str(tmp_path / "preset"))
    np.testing.assert_array_equal(
        XLMBackbone.from_preset(str(tmp_path / "preset"))(inputs), expected
    )
