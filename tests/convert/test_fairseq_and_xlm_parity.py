"""Parity for fairseq `model.pt` and facebookresearch/XLM `.pth` checkpoints.

The test writes each checkpoint from a Hugging Face model's weights using the
key names the original code bases save, converts it with `xlm-convert` and
compares against the Hugging Face model.
"""

import argparse
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
import transformers

from tests.convert import reference_models as ref
from xlm_keras import XLMCausalLM
from xlm_keras import XLMMaskedLM
from xlm_keras.convert import convert_checkpoint

pytestmark = pytest.mark.slow  # Parity against transformers (PyTorch), CLI processes.

TOLERANCE = 1e-4

_HF_TO_FAIRSEQ = [
    (r"roberta\.embeddings\.word_embeddings\.", "embed_tokens."),
    (r"roberta\.embeddings\.position_embeddings\.", "embed_positions."),
    (r"roberta\.embeddings\.LayerNorm\.", "layernorm_embedding."),
    (r"roberta\.encoder\.LayerNorm\.", "layer_norm."),
    (r"roberta\.encoder\.layer\.(\d+)\.attention\.self\.query\.", r"layers.\1.self_attn.q_proj."),
    (r"roberta\.encoder\.layer\.(\d+)\.attention\.self\.key\.", r"layers.\1.self_attn.k_proj."),
    (r"roberta\.encoder\.layer\.(\d+)\.attention\.self\.value\.", r"layers.\1.self_attn.v_proj."),
    (
        r"roberta\.encoder\.layer\.(\d+)\.attention\.output\.dense\.",
        r"layers.\1.self_attn.out_proj.",
    ),
    (
        r"roberta\.encoder\.layer\.(\d+)\.attention\.(?:output\.LayerNorm|self_attn_layer_norm)\.",
        r"layers.\1.self_attn_layer_norm.",
    ),
    (r"roberta\.encoder\.layer\.(\d+)\.intermediate\.dense\.", r"layers.\1.fc1."),
    (r"roberta\.encoder\.layer\.(\d+)\.output\.dense\.", r"layers.\1.fc2."),
    (r"roberta\.encoder\.layer\.(\d+)\.(?:output\.)?LayerNorm\.", r"layers.\1.final_layer_norm."),
]


def write_fairseq_checkpoint(hf_model, xl, directory):
    """`model.pt` as fairseq's RobertaModel saves it (`encoder.sentence_encoder.*`,
    `encoder.lm_head.*`, hyper-parameters in an argparse.Namespace)."""
    hf_state = {k: v.clone() for k, v in hf_model.state_dict().items()}
    token_type = hf_state.pop("roberta.embeddings.token_type_embeddings.weight")
    # fairseq has no token types; fold HF's single row into the positions.
    hf_state["roberta.embeddings.position_embeddings.weight"] += token_type[0]
    state = {"encoder.sentence_encoder.version": torch.tensor([2.0])}
    for name, value in hf_state.items():
        if name.startswith("lm_head."):
            if name == "lm_head.decoder.weight":
                state["encoder.lm_head.weight"] = value
            elif name != "lm_head.decoder.bias":
                state["encoder." + name] = value
            continue
        if name.endswith("position_ids"):
            continue
        for pattern, replacement in _HF_TO_FAIRSEQ:
            if re.match(pattern, name):
                state["encoder.sentence_encoder." + re.sub(pattern, replacement, name)] = value
                break
        else:
            raise AssertionError(f"unmapped {name}")
    args = argparse.Namespace(
        arch="roberta_base",
        encoder_attention_heads=hf_model.config.num_attention_heads,
        activation_fn="gelu",
        dropout=0.0,
        encoder_normalize_before=xl,
    )
    os.makedirs(directory, exist_ok=True)
    torch.save({"model": state, "args": args}, os.path.join(directory, "model.pt"))
    with open(os.path.join(directory, "dict.txt"), "w") as f:
        f.write("".join(f"piece{i} 1\n" for i in range(hf_model.config.vocab_size - 5)))


def write_xlm_checkpoint(hf_model, path, clm=False, words=None):
    """`.pth` as facebookresearch/XLM saves it: model, dico_*, params;
    `words`: the dictionary in id order (default: made-up words)."""
    config = hf_model.config
    state = {
        ("module." + name[len("transformer.") :])
        if name.startswith("transformer.")
        else name: value
        for name, value in hf_model.state_dict().items()
        if not name.endswith("position_ids")
    }
    words = words or [f"w{i}" for i in range(config.vocab_size)]
    params = dict(
        emb_dim=config.emb_dim,
        n_layers=config.n_layers,
        n_heads=config.n_heads,
        n_langs=config.n_langs,
        use_lang_emb=config.use_lang_emb,
        sinusoidal_embeddings=config.sinusoidal_embeddings,
        gelu_activation=config.gelu_activation,
        dropout=0.0,
        asm=False,
        lang2id=dict(config.lang2id),
        id2lang=dict(config.id2lang),
        mlm_steps=[] if clm else [("en", None)],
        clm_steps=[("en", None)] if clm else [],
    )
    torch.save(
        {
            "model": state,
            "dico_id2word": dict(enumerate(words)),
            "dico_word2id": {w: i for i, w in enumerate(words)},
            "dico_counts": {w: 1 for w in words},
            "params": params,
        },
        path,
    )


def run_cli(source, input_path, output):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlm_keras.cli.convert",
            f"--source={source}",
            f"--input={input_path}",
            f"--output={output}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("xl", [False, True], ids=["post_ln", "pre_ln_xl"])
def test_fairseq_xlm_roberta(xl, tmp_path):
    config = ref.xlm_roberta_config(xl=xl)
    model_cls = transformers.XLMRobertaXLForMaskedLM if xl else transformers.XLMRobertaForMaskedLM
    hf_model = ref.randomize(model_cls(config))
    write_fairseq_checkpoint(hf_model, xl, tmp_path / "fairseq")
    token_ids, padding_mask, _ = ref.padded_batch(config.vocab_size, config.pad_token_id)
    expected = ref.torch_run(hf_model, token_ids, padding_mask).logits.numpy()
    if xl:
        convert_checkpoint(
            "fairseq", str(tmp_path / "fairseq" / "model.pt"), str(tmp_path / "preset")
        )
    else:
        assert "XLMMaskedLM" in run_cli("fairseq", tmp_path / "fairseq", tmp_path / "preset")
    task = XLMMaskedLM.from_preset(str(tmp_path / "preset"))
    assert task.backbone.normalize_first == xl
    assert os.path.exists(tmp_path / "preset" / "assets" / "tokenizer" / "dict.txt")
    positions = np.broadcast_to(np.arange(ref.LENGTH), token_ids.shape).astype("int32")
    logits = task(
        {"token_ids": token_ids, "padding_mask": padding_mask, "mask_positions": positions}
    )
    assert ref.max_abs_diff_on_tokens(logits, expected, padding_mask) <= TOLERANCE


@pytest.mark.parametrize(
    "clm,sinusoidal",
    [(False, False), (True, False), (False, True)],
    ids=["mlm", "clm", "mlm_sinusoidal_moved"],
)
def test_xlm_original_pth(clm, sinusoidal, tmp_path):
    """`sinusoidal`: a sinusoidal model whose stored table is not the
    formula; the converter keeps the stored table."""
    config = ref.xlm_config(causal=clm, sinusoidal_embeddings=sinusoidal)
    hf_model = ref.randomize(transformers.XLMWithLMHeadModel(config))
    write_xlm_checkpoint(hf_model, tmp_path / "model.pth", clm=clm)
    token_ids, padding_mask, language_ids = ref.padded_batch(
        config.vocab_size, config.pad_index, num_languages=config.n_langs
    )
    expected = ref.torch_run(hf_model, token_ids, padding_mask, langs=language_ids).logits.numpy()
    stdout = run_cli("xlm", tmp_path / "model.pth", tmp_path / "preset")
    assert ("XLMCausalLM" if clm else "XLMMaskedLM") in stdout
    inputs = {"token_ids": token_ids, "padding_mask": padding_mask, "language_ids": language_ids}
    if clm:
        logits = XLMCausalLM.from_preset(str(tmp_path / "preset"))(inputs)
    else:
        positions = np.broadcast_to(np.arange(ref.LENGTH), token_ids.shape).astype("int32")
        task = XLMMaskedLM.from_preset(str(tmp_path / "preset"))
        assert task.backbone.position_embedding == "learned"
        logits = task({**inputs, "mask_positions": positions})
    assert ref.max_abs_diff_on_tokens(logits, expected, padding_mask) <= TOLERANCE
