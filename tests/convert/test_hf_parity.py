"""Parity with Hugging Face transformers after `xlm-convert --source=hf`."""

import numpy as np
import pytest
import torch
import transformers

from tests.convert import reference_models as ref
from xlm_keras import XLMBackbone
from xlm_keras import XLMCausalLM
from xlm_keras import XLMMaskedLM
from xlm_keras.convert import convert_checkpoint

pytestmark = pytest.mark.slow  # Parity against transformers (PyTorch).

TOLERANCE = 1e-4


def _keras_inputs(token_ids, padding_mask, language_ids=None, position_ids=None):
    inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
    if language_ids is not None:
        inputs["language_ids"] = language_ids
    if position_ids is not None:
        inputs["position_ids"] = position_ids
    return inputs


def _all_positions(token_ids):
    return np.broadcast_to(np.arange(token_ids.shape[1]), token_ids.shape).astype("int32")


XLM_CASES = {
    "language_embeddings": dict(),
    "no_language_embeddings": dict(use_lang_emb=False, n_langs=17),
    "single_language": dict(n_langs=1),
    "sinusoidal": dict(sinusoidal_embeddings=True),
    "sinusoidal_fine_tuned": dict(sinusoidal_embeddings=True),
    "relu": dict(gelu_activation=False),
    "causal": dict(causal=True),
}


@pytest.mark.parametrize("case", sorted(XLM_CASES))
def test_xlm_with_lm_head(case, tmp_path):
    config = ref.xlm_config(**XLM_CASES[case])
    # "sinusoidal" keeps HF's formula table; "sinusoidal_fine_tuned" moves it.
    skip = ("position_embeddings",) if case == "sinusoidal" else ()
    hf_model = ref.randomize(transformers.XLMWithLMHeadModel(config), skip=skip)
    hf_model.save_pretrained(tmp_path / "hf")
    has_languages = config.n_langs > 1 and config.use_lang_emb
    token_ids, padding_mask, language_ids = ref.padded_batch(
        config.vocab_size, config.pad_index, num_languages=config.n_langs if has_languages else 0
    )
    hf_out = ref.torch_run(
        hf_model, token_ids, padding_mask, langs=language_ids, output_hidden_states=True
    )

    convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
    task_cls = XLMCausalLM if config.causal else XLMMaskedLM
    task = task_cls.from_preset(str(tmp_path / "preset"))
    assert task.backbone.position_embedding == ("sinusoidal" if case == "sinusoidal" else "learned")
    inputs = _keras_inputs(token_ids, padding_mask, language_ids)
    hidden = task.backbone(inputs)
    if config.causal:
        logits = task(inputs)
    else:
        logits = task({**inputs, "mask_positions": _all_positions(token_ids)})

    assert (
        ref.max_abs_diff_on_tokens(hidden, hf_out.hidden_states[-1].numpy(), padding_mask)
        <= TOLERANCE
    )
    assert ref.max_abs_diff_on_tokens(logits, hf_out.logits.numpy(), padding_mask) <= TOLERANCE


def test_xlm_tlm_position_ids_restart(tmp_path):
    """TLM restarts positions at the second sentence: explicit position_ids
    must reach the position table exactly as in the reference."""
    config = ref.xlm_config()
    hf_model = ref.randomize(transformers.XLMModel(config))
    hf_model.save_pretrained(tmp_path / "hf")
    token_ids, padding_mask, language_ids = ref.padded_batch(
        config.vocab_size, config.pad_index, num_languages=config.n_langs
    )
    position_ids = (
        np.concatenate([np.arange(5), np.arange(ref.LENGTH - 5)])[None]
        .repeat(ref.BATCH, 0)
        .astype("int32")
    )
    expected = ref.torch_run(
        hf_model, token_ids, padding_mask, langs=language_ids, position_ids=position_ids
    ).last_hidden_state.numpy()
    convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
    backbone = XLMBackbone.from_preset(str(tmp_path / "preset"))
    hidden = backbone(_keras_inputs(token_ids, padding_mask, language_ids, position_ids))
    assert ref.max_abs_diff_on_tokens(hidden, expected, padding_mask) <= TOLERANCE


@pytest.mark.parametrize("xl", [False, True], ids=["post_ln", "pre_ln_xl"])
def test_xlm_roberta_for_masked_lm(xl, tmp_path):
    config = ref.xlm_roberta_config(xl=xl)
    model_cls = transformers.XLMRobertaXLForMaskedLM if xl else transformers.XLMRobertaForMaskedLM
    hf_model = ref.randomize(model_cls(config))
    hf_model.save_pretrained(tmp_path / "hf")
    token_ids, padding_mask, _ = ref.padded_batch(config.vocab_size, config.pad_token_id)
    hf_out = ref.torch_run(hf_model, token_ids, padding_mask, output_hidden_states=True)
    convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
    task = XLMMaskedLM.from_preset(str(tmp_path / "preset"))
    inputs = _keras_inputs(token_ids, padding_mask)
    hidden = task.backbone(inputs)
    logits = task({**inputs, "mask_positions": _all_positions(token_ids)})
    # HF's last hidden state of the XL model is taken after the final LayerNorm.
    expected_hidden = hf_out.hidden_states[-1].numpy()
    if xl:
        expected_hidden = ref.torch_run(
            hf_model.roberta, token_ids, padding_mask
        ).last_hidden_state.numpy()
    assert ref.max_abs_diff_on_tokens(hidden, expected_hidden, padding_mask) <= TOLERANCE
    assert ref.max_abs_diff_on_tokens(logits, hf_out.logits.numpy(), padding_mask) <= TOLERANCE


def test_xlm_roberta_model_without_head(tmp_path):
    config = ref.xlm_roberta_config()
    hf_model = ref.randomize(transformers.XLMRobertaModel(config))
    hf_model.save_pretrained(tmp_path / "hf")
    token_ids, padding_mask, _ = ref.padded_batch(config.vocab_size, config.pad_token_id)
    expected = ref.torch_run(hf_model, token_ids, padding_mask).last_hidden_state.numpy()
    model = convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
    assert isinstance(model, XLMBackbone)
    backbone = XLMBackbone.from_preset(str(tmp_path / "preset"))
    hidden = backbone(_keras_inputs(token_ids, padding_mask))
    assert ref.max_abs_diff_on_tokens(hidden, expected, padding_mask) <= TOLERANCE


def test_xlm_roberta_text_to_logits_with_converted_tokenizer(tmp_path):
    """Raw text through the converted preset (XLMTokenizer with fairseq ids +
    model) equals Hugging Face's tokenizer + model from the same directory."""
    import tensorflow as tf

    from xlm_keras.models import XLMTokenizer
    from xlm_keras.text.packing import pack_single

    hf_dir = tmp_path / "hf"
    config = ref.xlm_roberta_config(vocab_size=52)  # pieces + <pad> + <mask>
    hf_model = ref.randomize(transformers.XLMRobertaForMaskedLM(config))
    hf_model.save_pretrained(hf_dir)
    ref.write_sentencepiece(hf_dir)
    hf_tokenizer = transformers.XLMRobertaTokenizer.from_pretrained(str(hf_dir))

    convert_checkpoint("hf", str(hf_dir), str(tmp_path / "preset"))
    tokenizer = XLMTokenizer.from_preset(str(tmp_path / "preset"))
    texts = ref.SENTENCES
    encoded = hf_tokenizer(texts, padding=True, return_tensors="pt")
    packed = pack_single(
        tokenizer(tf.constant(texts)),
        encoded["input_ids"].shape[1],
        tokenizer.start_token_id,
        tokenizer.end_token_id,
        tokenizer.pad_token_id,
    )
    np.testing.assert_array_equal(packed["token_ids"], encoded["input_ids"].numpy())
    np.testing.assert_array_equal(packed["padding_mask"], encoded["attention_mask"].numpy())
    with torch.no_grad():
        expected = hf_model(**encoded).logits.numpy()
    task = XLMMaskedLM.from_preset(str(tmp_path / "preset"))
    logits = task(
        {
            "token_ids": packed["token_ids"],
            "padding_mask": packed["padding_mask"],
            "mask_positions": _all_positions(packed["token_ids"].numpy()),
        }
    )
    mask = packed["padding_mask"].numpy().astype(bool)
    assert ref.max_abs_diff_on_tokens(logits, expected, mask) <= TOLERANCE
