"""facebookresearch/XLM translation checkpoints (`encoder` + `decoder` state
dicts + `params`, as its MT/UNMT training saves them) convert with
`xlm-convert --source=xlm` to an `XLMSeq2SeqLM` whose logits match XLM's
decoder forward pass, written out below from the published code."""

import math

import numpy as np
import pytest
import torch
import transformers

from tests.convert import reference_models as ref
from xlm_keras import XLMSeq2SeqLM
from xlm_keras.convert import convert_checkpoint

TOLERANCE = 1e-4
N_HEADS = 4


def _xlm_state(hf_model):
    """XLM's `TransformerModel` names (HF's XLM keeps them under `transformer.`)."""
    return {
        name[len("transformer.") :] if name.startswith("transformer.") else name: value
        for name, value in hf_model.state_dict().items()
        if not name.endswith("position_ids")
    }


def _decoder_state(hf_model, generator):
    """A decoder: the same names plus XLM's `encoder_attn` and `layer_norm15`."""
    state = _xlm_state(hf_model)
    dim = hf_model.config.emb_dim
    for i in range(hf_model.config.n_layers):
        for part in ("q_lin", "k_lin", "v_lin", "out_lin"):
            state[f"encoder_attn.{i}.{part}.weight"] = 0.05 * torch.randn(
                dim, dim, generator=generator
            )
            state[f"encoder_attn.{i}.{part}.bias"] = 0.05 * torch.randn(dim, generator=generator)
        state[f"layer_norm15.{i}.weight"] = 1 + 0.1 * torch.randn(dim, generator=generator)
        state[f"layer_norm15.{i}.bias"] = 0.1 * torch.randn(dim, generator=generator)
    return state


def _attention(state, name, x, kv, visible):
    """XLM's `MultiHeadAttention.forward`: visible bool [B, 1 or T, S]."""

    def linear(part, t):
        return t @ state[f"{name}.{part}.weight"].T + state[f"{name}.{part}.bias"]

    batch, dim = x.shape[0], x.shape[-1]
    per_head = dim // N_HEADS

    def heads(t):
        return t.view(batch, -1, N_HEADS, per_head).transpose(1, 2)

    q = heads(linear("q_lin", x)) / math.sqrt(per_head)
    scores = q @ heads(linear("k_lin", kv)).transpose(2, 3)
    scores = scores.masked_fill(~visible[:, None], -float("inf"))
    context = torch.softmax(scores.float(), -1) @ heads(linear("v_lin", kv))
    return linear("out_lin", context.transpose(1, 2).reshape(batch, -1, dim))


def _xlm_decoder_logits(state, n_layers, tokens, mask, langs, src_enc, src_mask):
    """`TransformerModel.fwd(is_decoder=True, causal=True)` + `pred_layer`."""

    def norm(name, t):
        return torch.nn.functional.layer_norm(
            t, t.shape[-1:], state[f"{name}.weight"], state[f"{name}.bias"], eps=1e-12
        )

    length = tokens.shape[1]
    x = (
        state["embeddings.weight"][tokens]
        + state["position_embeddings.weight"][:length]
        + state["lang_embeddings.weight"][langs]
    )
    x = norm("layer_norm_emb", x) * mask[..., None]
    causal = (torch.arange(length)[None, :] <= torch.arange(length)[:, None])[None]
    for i in range(n_layers):
        x = norm(f"layer_norm1.{i}", x + _attention(state, f"attentions.{i}", x, x, causal))
        x = norm(
            f"layer_norm15.{i}",
            x + _attention(state, f"encoder_attn.{i}", x, src_enc, src_mask[:, None, :]),
        )
        hidden = torch.nn.functional.gelu(
            x @ state[f"ffns.{i}.lin1.weight"].T + state[f"ffns.{i}.lin1.bias"]
        )
        x = norm(
            f"layer_norm2.{i}",
            x + hidden @ state[f"ffns.{i}.lin2.weight"].T + state[f"ffns.{i}.lin2.bias"],
        )
        x = x * mask[..., None]
    return x @ state["embeddings.weight"].T + state["pred_layer.proj.bias"]


@pytest.mark.slow
def test_xlm_translation_checkpoint_matches_xlm_decoder(tmp_path):
    config = ref.xlm_config(n_heads=N_HEADS)
    encoder = ref.randomize(transformers.XLMWithLMHeadModel(config), seed=1)
    decoder = ref.randomize(transformers.XLMWithLMHeadModel(config), seed=2)
    decoder_state = _decoder_state(decoder, torch.Generator().manual_seed(3))
    words = [f"w{i}" for i in range(config.vocab_size)]
    params = dict(
        emb_dim=config.emb_dim,
        n_heads=N_HEADS,
        n_enc_layers=2,
        n_dec_layers=2,
        n_langs=3,
        use_lang_emb=True,
        sinusoidal_embeddings=False,
        gelu_activation=True,
        dropout=0.0,
        asm=False,
        lang2id=dict(config.lang2id),
        id2lang=dict(config.id2lang),
    )
    torch.save(
        {
            "encoder": {f"module.{k}": v for k, v in _xlm_state(encoder).items()},
            "decoder": decoder_state,
            "params": params,
            "dico_word2id": {w: i for i, w in enumerate(words)},
            "dico_id2word": dict(enumerate(words)),
        },
        tmp_path / "mt.pth",
    )

    source, source_mask, source_langs = ref.padded_batch(
        config.vocab_size, config.pad_index, seed=1, num_languages=0
    )
    target, target_mask, _ = ref.padded_batch(config.vocab_size, config.pad_index, seed=2)
    source_langs, target_langs = np.zeros_like(source), np.ones_like(target)
    with torch.no_grad():
        src_enc = encoder.transformer(
            input_ids=torch.tensor(source, dtype=torch.long),
            attention_mask=torch.tensor(source_mask, dtype=torch.long),
            langs=torch.tensor(source_langs, dtype=torch.long),
        )[0]
        expected = _xlm_decoder_logits(
            decoder_state,
            2,
            torch.tensor(target, dtype=torch.long),
            torch.tensor(target_mask),
            torch.tensor(target_langs, dtype=torch.long),
            src_enc,
            torch.tensor(source_mask),
        ).numpy()

    convert_checkpoint("xlm", str(tmp_path / "mt.pth"), str(tmp_path / "preset"))
    model = XLMSeq2SeqLM.from_preset(str(tmp_path / "preset"))
    assert model.lm_head == "xlm" and model.backbone.num_languages == 3
    logits = model(
        {
            "encoder_token_ids": source,
            "encoder_padding_mask": source_mask,
            "encoder_language_ids": source_langs,
            "decoder_token_ids": target,
            "decoder_padding_mask": target_mask,
            "decoder_language_ids": target_langs,
        }
    )
    assert ref.max_abs_diff_on_tokens(logits, expected, target_mask) <= TOLERANCE


def test_checkpoint_without_a_model_is_refused(tmp_path):
    torch.save({"params": {}, "dico_word2id": {}}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="'encoder' and 'decoder'"):
        convert_checkpoint("xlm", str(tmp_path / "bad.pth"), str(tmp_path / "preset"))
