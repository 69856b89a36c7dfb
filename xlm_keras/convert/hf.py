"""Hugging Face XLM / XLM-R / XLM-R XL model directories."""

import json
import os

from xlm_keras.convert import names
from xlm_keras.convert.checkpoint import Checkpoint
from xlm_keras.convert.checkpoint import ordered
from xlm_keras.convert.checkpoint import rename
from xlm_keras.convert.torch_files import load_hf_state_dict

SUPPORTED_MODEL_TYPES = ("xlm", "xlm-roberta", "xlm-roberta-xl")
# XLM-R's SentencePiece model becomes an XLMTokenizer; XLM's BPE files
# (fastBPE + Moses, not run in-graph by this package) are carried along.
TOKENIZER_FILES = ("sentencepiece.bpe.model", "vocab.json", "merges.txt")


def read_hf(directory):
    """Read a Hugging Face checkpoint directory into a `Checkpoint`.

    Supports `XLMModel`, `XLMWithLMHeadModel`, `XLMRobertaModel`,
    `XLMRobertaForMaskedLM`, `XLMRobertaXLModel`, `XLMRobertaXLForMaskedLM`.
    """
    config_path = os.path.join(directory, "config.json")
    if not os.path.exists(config_path):
        raise FileNotFoundError(
            f"{directory} has no config.json; expected a Hugging Face model "
            "directory (config.json + model.safetensors or pytorch_model.bin)."
        )
    config = read_config(config_path)
    model_type = config.get("model_type")
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ValueError(
            f"{config_path} has model_type={model_type!r}; supported: "
            f"{SUPPORTED_MODEL_TYPES}."
        )
    state = load_hf_state_dict(directory)
    source = f"Hugging Face {model_type} checkpoint {directory}"
    if model_type == "xlm":
        checkpoint = _read_xlm(config, state, source)
    else:
        checkpoint = _read_xlm_roberta(config, state, source, model_type)
    checkpoint.assets = {
        name: os.path.join(directory, name)
        for name in TOKENIZER_FILES
        if os.path.exists(os.path.join(directory, name))
    }
    return checkpoint


class ConfigJson(dict):
    """A config.json whose missing required key is an error naming the file."""

    def __init__(self, path, values):
        super().__init__(values)
        self.path = path

    def __missing__(self, key):
        raise ValueError(
            f"{self.path} lacks {key!r}, which a {self.get('model_type')} config needs; use "
            "the config.json saved with this checkpoint (re-download it).")


def read_config(path):
    """config.json as a `ConfigJson`; bad JSON is an error naming the file."""
    with open(path, encoding="utf-8") as f:
        try:
            values = json.load(f)
        except ValueError as error:  # JSONDecodeError, or bytes that are not UTF-8.
            raise ValueError(f"{path} is not valid JSON ({error}); re-download it.") from error
    if not isinstance(values, dict):
        raise ValueError(f"{path} holds a {type(values).__name__}, not a JSON object; "
                         "re-download it.")
    return ConfigJson(path, values)


def _read_xlm(config, state, source):
    if config.get("asm"):
        raise ValueError(f"{source}: adaptive softmax (asm=True) is not supported.")
    weights = rename(state, names.XLM_RULES, names.XLM_IGNORED, source)
    sinusoidal = bool(config.get("sinusoidal_embeddings"))
    if sinusoidal:
        weights.pop("position_embedding", None)  # Fixed table, rebuilt in Keras.
    backbone_config = dict(
        vocabulary_size=config["vocab_size"],
        num_layers=config["n_layers"],
        num_heads=config["n_heads"],
        hidden_dim=config["emb_dim"],
        intermediate_dim=4 * config["emb_dim"],
        dropout=config.get("dropout", 0.1),
        max_sequence_length=config["max_position_embeddings"],
        position_embedding="sinusoidal" if sinusoidal else "learned",
        position_offset=0,
        num_languages=config.get("n_langs", 1),
        use_language_embedding=config.get("use_lang_emb", True),
        activation="gelu" if config.get("gelu_activation", True) else "relu",
        layer_norm_epsilon=config.get("layer_norm_eps", 1e-12),
        normalize_first=False,
        causal=bool(config.get("causal", False)),
    )
    languages = ordered(config.get("lang2id") or {})
    return Checkpoint(
        backbone_config,
        weights,
        lm_head="xlm" if "lm_head.bias" in weights else None,
        languages=languages,
        source=source,
    )


def _read_xlm_roberta(config, state, source, model_type):
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(
            f"{source}: position_embedding_type="
            f"{config['position_embedding_type']!r}; only 'absolute' is supported."
        )
    if config.get("type_vocab_size", 1) != 1:
        raise ValueError(
            f"{source}: type_vocab_size={config['type_vocab_size']}; XLM-R uses "
            "one token type, which is folded into the position table. Larger "
            "token-type vocabularies are not supported."
        )
    if config.get("hidden_act", "gelu") not in ("gelu", "relu"):
        raise ValueError(
            f"{source}: hidden_act={config['hidden_act']!r}; supported: 'gelu' "
            "(exact) and 'relu'."
        )
    weights = rename(state, names.XLM_R_HF_RULES, names.XLM_R_HF_IGNORED, source)
    fold_token_type(weights)
    offset = config.get("pad_token_id", 1) + 1
    backbone_config = dict(
        vocabulary_size=config["vocab_size"],
        num_layers=config["num_hidden_layers"],
        num_heads=config["num_attention_heads"],
        hidden_dim=config["hidden_size"],
        intermediate_dim=config["intermediate_size"],
        dropout=config.get("hidden_dropout_prob", 0.1),
        max_sequence_length=config["max_position_embeddings"] - offset,
        position_embedding="learned",
        position_offset=offset,
        num_languages=1,
        use_language_embedding=False,
        activation=config.get("hidden_act", "gelu"),
        layer_norm_epsilon=config.get("layer_norm_eps", 1e-5),
        normalize_first=model_type == "xlm-roberta-xl",
        causal=False,
    )
    return Checkpoint(
        backbone_config,
        weights,
        lm_head="roberta" if "lm_head.bias" in weights else None,
        source=source,
    )


def fold_token_type(weights):
    """XLM-R adds its single token-type row to every token: add it to every
    position row instead, which gives the same sums."""
    token_type = weights.pop("token_type_embedding", None)
    if token_type is not None:
        weights["position_embedding"] = weights["position_embedding"] + token_type[0]
