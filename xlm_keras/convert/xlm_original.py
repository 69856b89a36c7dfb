"""facebookresearch/XLM `.pth` checkpoints (model + dico + params)."""

import json
import os
import tempfile

from xlm_keras.convert import names
from xlm_keras.convert.bpe_files import CASED_LANGUAGE_COUNTS
from xlm_keras.convert.bpe_files import dictionary_vocabulary
from xlm_keras.convert.checkpoint import Checkpoint
from xlm_keras.convert.checkpoint import check_sinusoidal_table
from xlm_keras.convert.checkpoint import count_layers
from xlm_keras.convert.checkpoint import ordered
from xlm_keras.convert.checkpoint import rename
from xlm_keras.convert.torch_files import load_torch_pickle
from xlm_keras.models.xlm_bpe_tokenizer import MERGES_FILE
from xlm_keras.models.xlm_bpe_tokenizer import VOCAB_FILE

REQUIRED_KEYS = ("params", "dico_word2id")
# A pretrained LM has `model`; a translation checkpoint `encoder` and `decoder`.
MODEL_KEYS = (("model",), ("encoder", "decoder"))


def read_xlm(path, causal=None):
    """Read an XLM `.pth` checkpoint into a `Checkpoint`.

    Args:
        path: the `.pth` file: a pretrained LM (`model`, e.g.
            `mlm_tlm_xnli15_1024.pth`) or a translation model (`encoder` and
            `decoder`, as XLM's MT/UNMT training saves them), which becomes
            an `XLMSeq2SeqLM`.
        causal: force causal attention; None infers it from `params`
            (a CLM checkpoint has `clm_steps` and no `mlm_steps`).
    """
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"An XLM checkpoint is one .pth file (e.g. mlm_tlm_xnli15_1024.pth), but {path} "
            "is a directory; pass the .pth file in it (a Hugging Face model directory "
            "converts with --source=hf)."
        )
    reloaded = load_torch_pickle(path)
    missing = [key for key in REQUIRED_KEYS if key not in reloaded]
    if missing or not any(all(key in reloaded for key in keys) for keys in MODEL_KEYS):
        raise ValueError(
            f"{path} is not a facebookresearch/XLM checkpoint: it needs {REQUIRED_KEYS} and "
            f"'model' (or 'encoder' and 'decoder'); found keys {sorted(reloaded)}."
        )
    params = reloaded["params"]
    source = f"XLM checkpoint {path}"
    if params.get("asm"):
        raise ValueError(f"{source}: adaptive softmax (asm=True) is not supported.")
    if "model" in reloaded:
        weights = rename(_state(reloaded["model"]), names.XLM_RULES, names.XLM_DROPPED, source)
        if causal is None:
            causal = bool(params.get("clm_steps")) and not params.get("mlm_steps")
        backbone_config = _backbone_config(params, weights, causal, source)
        checkpoint = Checkpoint(
            backbone_config,
            weights,
            lm_head="xlm" if "lm_head.bias" in weights else None,
            source=source,
        )
    else:
        checkpoint = _read_translation(reloaded, params, source)
    vocab_file = os.path.join(tempfile.mkdtemp(prefix="xlm_vocab_"), VOCAB_FILE)
    with open(vocab_file, "w", encoding="utf-8") as f:
        json.dump(dictionary_vocabulary(reloaded["dico_word2id"]), f, ensure_ascii=False)
    checkpoint.languages = ordered(params.get("lang2id") or {})
    checkpoint.assets = {VOCAB_FILE: vocab_file}
    codes = bpe_codes_beside(path)
    if codes:
        checkpoint.assets[MERGES_FILE] = codes
    checkpoint.bpe_lowercase = int(params.get("n_langs", 1)) not in CASED_LANGUAGE_COUNTS
    return checkpoint


def bpe_codes_beside(path):
    """The fastBPE `codes` file beside a checkpoint (`codes` or `codes_*`,
    e.g. `codes_xnli_15`), None if there is none; two are an error."""
    directory = os.path.dirname(os.path.abspath(path))
    found = sorted(
        name
        for name in os.listdir(directory)
        if (name == "codes" or name.startswith("codes_"))
        and os.path.isfile(os.path.join(directory, name))
    )
    if len(found) > 1:
        raise ValueError(
            f"{directory} holds several fastBPE codes files {found}; keep the one of "
            f"{os.path.basename(path)} beside it (its BPE merges) and move the others."
        )
    return os.path.join(directory, found[0]) if found else None


def _state(state_dict):
    """A state dict without DataParallel's `module.` prefixes."""
    return {
        name[len("module.") :] if name.startswith("module.") else name: value
        for name, value in state_dict.items()
    }


def _backbone_config(params, weights, causal, source):
    """`XLMBackbone` kwargs of one side; a sinusoidal table that is the
    formula is dropped from `weights` (`check_sinusoidal_table`)."""
    backbone_config = dict(
        vocabulary_size=weights["token_embedding"].shape[0],
        num_layers=count_layers(weights),
        num_heads=int(params["n_heads"]),
        hidden_dim=int(params["emb_dim"]),
        intermediate_dim=weights["layers.0.intermediate.weight"].shape[0],
        dropout=float(params.get("dropout", 0.1)),
        max_sequence_length=weights["position_embedding"].shape[0],
        position_embedding="learned",
        position_offset=0,
        num_languages=int(params.get("n_langs", 1)),
        use_language_embedding=bool(params.get("use_lang_emb", True)),
        activation="gelu" if params.get("gelu_activation", True) else "relu",
        layer_norm_epsilon=1e-12,
        normalize_first=False,
        causal=causal,
    )
    if params.get("sinusoidal_embeddings"):
        check_sinusoidal_table(weights, backbone_config, source)
    return backbone_config


def _read_translation(reloaded, params, source):
    """XLM's encoder-decoder: the encoder's names as usual, the decoder's as
    `decoder.<name>` with its cross-attention, the decoder's output layer as
    the LM head. The encoder's own output layer (XLM builds the encoder
    `with_output` for its LM steps) takes no part in translation: dropped."""
    encoder = rename(
        _state(reloaded["encoder"]), names.XLM_RULES, names.XLM_DROPPED, f"{source} (encoder)"
    )
    encoder.pop("lm_head.bias", None)
    decoder = rename(
        _state(reloaded["decoder"]),
        names.XLM_RULES + names.XLM_CROSS_ATTENTION_RULES,
        names.XLM_DROPPED,
        f"{source} (decoder)",
    )
    if "lm_head.bias" not in decoder:
        raise ValueError(f"{source}: the decoder has no output layer (pred_layer).")
    encoder_config = _backbone_config(params, encoder, False, f"{source} (encoder)")
    decoder_config = _backbone_config(params, decoder, False, f"{source} (decoder)")
    different = {
        key: (value, decoder_config[key])
        for key, value in encoder_config.items()
        if key != "num_layers" and decoder_config[key] != value
    }
    if different:
        raise ValueError(
            f"{source}: encoder and decoder differ in {different} (encoder, decoder); "
            "XLMSeq2SeqLM shares every shape but the depth."
        )
    backbone_config = dict(encoder_config, num_decoder_layers=decoder_config["num_layers"])
    del backbone_config["causal"]
    weights = dict(encoder)
    for name, value in decoder.items():
        weights[name if name.startswith("lm_head.") else f"decoder.{name}"] = value
    return Checkpoint(backbone_config, weights, lm_head="xlm", task="seq2seq", source=source)
