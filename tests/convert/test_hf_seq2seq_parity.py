"""Parity of `XLMSeq2SeqLM` with Hugging Face `EncoderDecoderModel` (XLM-R
encoder + XLM-R causal decoder with cross-attention) after `xlm-convert
--source=hf`."""

import numpy as np
import pytest
import transformers

from tests.convert import reference_models as ref
from xlm_keras import XLMSeq2SeqLM
from xlm_keras.convert import convert_checkpoint

TOLERANCE = 1e-4


def _encoder_decoder(decoder_layers=2, **decoder_overrides):
    encoder = transformers.XLMRobertaModel(ref.xlm_roberta_config())
    decoder = transformers.XLMRobertaForCausalLM(
        ref.xlm_roberta_config(
            is_decoder=True,
            add_cross_attention=True,
            num_hidden_layers=decoder_layers,
            **decoder_overrides,
        )
    )
    model = transformers.EncoderDecoderModel(encoder=encoder, decoder=decoder)
    return ref.randomize(model)


@pytest.mark.slow
@pytest.mark.parametrize("decoder_layers", [2, 3])
def test_logits_match_hugging_face(decoder_layers, tmp_path):
    hf_model = _encoder_decoder(decoder_layers)
    hf_model.save_pretrained(tmp_path / "hf")
    vocab_size = hf_model.config.encoder.vocab_size
    source, source_mask, _ = ref.padded_batch(vocab_size, pad_id=1, seed=1)
    target, target_mask, _ = ref.padded_batch(vocab_size, pad_id=1, seed=2)
    target, target_mask = target[:, :7], target_mask[:, :7]  # Other lengths than the source.
    target_mask[0, 5:] = False  # Padding on both sides, in other rows.
    target[0, 5:] = 1
    expected = ref.torch_run(
        hf_model, source, source_mask, decoder_input_ids=target, decoder_attention_mask=target_mask
    ).logits.numpy()

    convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
    model = XLMSeq2SeqLM.from_preset(str(tmp_path / "preset"))
    assert model.backbone.num_decoder_layers == decoder_layers
    logits = model(
        {
            "encoder_token_ids": source,
            "encoder_padding_mask": source_mask,
            "decoder_token_ids": target,
            "decoder_padding_mask": target_mask,
        }
    )
    assert ref.max_abs_diff_on_tokens(logits, expected, target_mask) <= TOLERANCE


@pytest.mark.slow
def test_cached_generation_matches_hugging_face_greedy(tmp_path):
    hf_model = _encoder_decoder()
    hf_model.config.decoder_start_token_id = 0
    hf_model.config.pad_token_id = 1
    hf_model.save_pretrained(tmp_path / "hf")
    source, source_mask, _ = ref.padded_batch(hf_model.config.encoder.vocab_size, pad_id=1)
    expected = ref.torch_run(
        hf_model.generate,
        source,
        source_mask,
        max_length=8,
        min_length=8,
        do_sample=False,
        num_beams=1,
        eos_token_id=None,
        decoder_start_token_id=0,
    ).numpy()

    convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
    model = XLMSeq2SeqLM.from_preset(str(tmp_path / "preset"))
    model.compile(sampler="greedy")
    prompt = np.full((len(source), 8), 1, "int32")
    prompt[:, 0] = 0
    outputs = model.generate_step(
        {
            "encoder_token_ids": source,
            "encoder_padding_mask": source_mask,
            "decoder_token_ids": prompt,
            "decoder_padding_mask": prompt != 1,
        }
    )
    np.testing.assert_array_equal(outputs["decoder_token_ids"], expected)


def test_refuses_a_decoder_without_cross_attention(tmp_path):
    encoder = transformers.XLMRobertaModel(ref.xlm_roberta_config())
    decoder = transformers.XLMRobertaForCausalLM(ref.xlm_roberta_config(is_decoder=True))
    model = transformers.EncoderDecoderModel(encoder=encoder, decoder=decoder)
    model.config.decoder.add_cross_attention = False
    model.save_pretrained(tmp_path / "hf")
    with pytest.raises(ValueError, match="add_cross_attention=True"):
        convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
