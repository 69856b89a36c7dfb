"""A model of the family as a Hugging Face transformers model directory:
`config.json`, `model.safetensors` and tokenizer files, loaded by
`AutoConfig` / `AutoModel*` / `AutoTokenizer.from_pretrained` with no custom
code.

The weight names are the Hugging Face reader's tables read backwards: the
transformers model is built on torch's meta device (names and shapes, no
memory), each of its weight names is renamed by `convert.names` to its
canonical name, and the value is the Keras model's (`convert.from_keras`).
"""

import json
import os

import numpy as np

from xlm_keras.convert import hf
from xlm_keras.convert import names
from xlm_keras.convert.checkpoint import sinusoidal_table
from xlm_keras.convert.from_keras import read_keras
from xlm_keras.convert.transformers_tokenizer import write_bpe_tokenizer
from xlm_keras.convert.transformers_tokenizer import write_tokenizer
from xlm_keras.models import XLMSeq2SeqLM
from xlm_keras.models.load_model import load_model
from xlm_keras.models.xlm_bpe_tokenizer import XLMBPETokenizer
from xlm_keras.models.xlm_tokenizer import XLMTokenizer
from xlm_keras.paths import replace_directory

WEIGHTS_FILE = "model.safetensors"
# transformers' XLM-R computes positions as pad id + 1 + index, and our
# tokenizers' pad id is 1.
ROBERTA_POSITION_OFFSET = 2
# (model_type, `Checkpoint.task` or the LM head) -> transformers class.
ARCHITECTURES = {
    ("xlm", None): "XLMModel",
    ("xlm", "xlm"): "XLMWithLMHeadModel",
    ("xlm", "text_classifier"): "XLMForSequenceClassification",
    ("xlm", "token_classifier"): "XLMForTokenClassification",
    ("xlm", "span_qa"): "XLMForQuestionAnsweringSimple",
    ("xlm-roberta", None): "XLMRobertaModel",
    ("xlm-roberta", "roberta"): "XLMRobertaForMaskedLM",
    ("xlm-roberta", "text_classifier"): "XLMRobertaForSequenceClassification",
    ("xlm-roberta", "token_classifier"): "XLMRobertaForTokenClassification",
    ("xlm-roberta", "span_qa"): "XLMRobertaForQuestionAnswering",
    ("xlm-roberta-xl", None): "XLMRobertaXLModel",
    ("xlm-roberta-xl", "roberta"): "XLMRobertaXLForMaskedLM",
    ("xlm-roberta-xl", "text_classifier"): "XLMRobertaXLForSequenceClassification",
    ("xlm-roberta-xl", "token_classifier"): "XLMRobertaXLForTokenClassification",
    ("xlm-roberta-xl", "span_qa"): "XLMRobertaXLForQuestionAnswering",
}
_RULES = {
    "xlm": (names.XLM_RULES, names.XLM_DROPPED),
    "xlm-roberta": (names.XLM_R_HF_RULES, names.XLM_R_HF_DROPPED),
    "xlm-roberta-xl": (names.XLM_R_HF_RULES, names.XLM_R_HF_DROPPED),
}


def export_transformers(preset_or_model, output_dir):
    """Write a preset (or a model) as a transformers model directory.

    XLM-R-shaped models (positions offset past the padding id, no language
    embeddings) become `XLMRoberta*` (pre-LN: `XLMRobertaXL*`) classes,
    XLM-shaped ones `XLM*` classes (`XLMWithLMHeadModel` for `XLMMaskedLM`
    and `XLMCausalLM`). A model no transformers class computes exactly is
    refused with the reason (`ValueError`).

    Args:
        preset_or_model: a preset directory, or an `XLMBackbone`,
            `XLMMaskedLM`, `XLMCausalLM`, `XLMTextClassifier`,
            `XLMTokenClassifier` or `XLMSpanQA` (its preprocessor's tokenizer
            is written too).
        output_dir: the directory to write, missing or empty; written whole
            or not at all.

    Returns: `output_dir`.
    """
    _check_transformers()
    if os.path.isdir(output_dir) and os.listdir(output_dir):
        raise FileExistsError(
            f"{output_dir} is not empty; pass a new or empty directory for the model."
        )
    if isinstance(preset_or_model, str):
        model, tokenizer = load_model(preset_or_model), _preset_tokenizer(preset_or_model)
    else:
        model, tokenizer = preset_or_model, _model_tokenizer(preset_or_model)
    _check_task(model)
    checkpoint = read_keras(model, languages=getattr(tokenizer, "languages", ()))
    model_type = _model_type(checkpoint.backbone_config)
    head = checkpoint.task or checkpoint.lm_head
    architecture = ARCHITECTURES.get((model_type, head))
    if architecture is None:
        raise ValueError(_missing_head(model, model_type))
    if model_type != "xlm" and isinstance(tokenizer, XLMBPETokenizer):
        raise ValueError(
            "An XLM-R-shaped model with XLM's Moses + BPE tokenizer: transformers' XLM-R "
            "tokenizers are SentencePiece ones."
        )
    config = _config(checkpoint, model_type, architecture, tokenizer)

    def write(directory):
        os.makedirs(directory)
        _write_weights(checkpoint, model_type, architecture, config, directory)
        config.save_pretrained(directory)
        length = checkpoint.backbone_config["max_sequence_length"]
        if isinstance(tokenizer, XLMBPETokenizer):
            write_bpe_tokenizer(tokenizer, directory, model_max_length=length)
        elif tokenizer is not None:
            frame = "xlm" if model_type == "xlm" else "roberta"
            write_tokenizer(tokenizer, directory, frame=frame, model_max_length=length)

    replace_directory(output_dir, write)
    return output_dir


def _check_transformers():
    """Refuse, before any work, without transformers and torch, or with a
    transformers too old to build a tokenizer from a SentencePiece model."""
    try:
        import torch  # noqa: F401
        from transformers.convert_slow_tokenizer import SpmConverter
    except ImportError as error:
        raise ValueError(
            f"--format=transformers needs transformers and torch ({error}); install them "
            "(pip install transformers torch, or this package's dev extra)."
        ) from error
    if not hasattr(SpmConverter, "build_tokenizer_from_spm_proto"):
        raise ValueError(
            "--format=transformers needs a transformers release whose SpmConverter has "
            "build_tokenizer_from_spm_proto (tested with 5.25); upgrade transformers."
        )


def _preset_tokenizer(preset_dir):
    """The preset's tokenizer, or None when it has none."""
    path = os.path.join(preset_dir, "tokenizer.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        name = json.load(f).get("class_name")
    return _tokenizer_class(name).from_preset(preset_dir)


def _model_tokenizer(model):
    tokenizer = getattr(getattr(model, "preprocessor", None), "tokenizer", None)
    if tokenizer is not None:
        _tokenizer_class(type(tokenizer).__name__)
    return tokenizer


def _tokenizer_class(name):
    """The tokenizer class named `name`, one of those written."""
    classes = {cls.__name__: cls for cls in (XLMTokenizer, XLMBPETokenizer)}
    if name not in classes:
        raise ValueError(
            f"The model's tokenizer is a {name}; --format=transformers writes "
            f"{' and '.join(classes)}."
        )
    return classes[name]


def _check_task(model):
    """Refuse what only a task's arguments show: language centering, mean
    pooling, a seq2seq model."""
    config = model.get_config()
    if config.get("language_centering"):
        raise ValueError(
            "The model centers languages (language_centering), a per-language shift that "
            "no transformers class has; fine-tune without it to export to transformers."
        )
    if config.get("pooling", "first") != "first":
        raise ValueError(
            f"The classifier pools with pooling={config['pooling']!r}; transformers' "
            "classifiers read the first token only (pooling='first')."
        )
    if isinstance(model, XLMSeq2SeqLM):
        raise ValueError(
            "An encoder-decoder (XLMSeq2SeqLM) goes out with --format=ctranslate2; "
            "--format=transformers writes encoders."
        )


def _model_type(backbone):
    """transformers' `model_type` of an `XLMBackbone` config, or an error
    naming what transformers lacks."""
    if backbone["activation"] not in ("gelu", "relu"):
        raise ValueError(
            f"activation={backbone['activation']!r}; transformers' XLM and XLM-R take "
            "'gelu' (exact) or 'relu'."
        )
    if backbone["position_offset"] == 0:
        if backbone["normalize_first"]:
            raise ValueError(
                "An XLM-shaped model (positions from 0) with normalize_first=True: "
                "transformers' XLMModel normalises after each block only."
            )
        if backbone["intermediate_dim"] != 4 * backbone["hidden_dim"]:
            raise ValueError(
                f"intermediate_dim={backbone['intermediate_dim']} with hidden_dim="
                f"{backbone['hidden_dim']}: transformers' XLMModel fixes the feed-forward "
                "width at 4 x hidden_dim."
            )
        return "xlm"
    if backbone["position_offset"] != ROBERTA_POSITION_OFFSET:
        raise ValueError(
            f"position_offset={backbone['position_offset']}: transformers' XLM-R counts "
            f"positions from {ROBERTA_POSITION_OFFSET} (pad id 1 + 1)."
        )
    if backbone["use_language_embedding"] and backbone["num_languages"] > 1:
        raise ValueError(
            "An XLM-R-shaped model (offset positions) with language embeddings: "
            "transformers' XLM-R has none."
        )
    if backbone["position_embedding"] != "learned":
        raise ValueError("transformers' XLM-R learns its position table; this one is sinusoidal.")
    return "xlm-roberta-xl" if backbone["normalize_first"] else "xlm-roberta"


def _missing_head(model, model_type):
    """Why `model`'s head has no transformers class for `model_type`."""
    name = type(model).__name__
    if model_type == "xlm":
        return (
            f"{name} with XLM-R's head on an XLM-shaped backbone: transformers' XLM "
            "classes have XLM's heads only (LM: tied table + bias; classifier: first "
            "token -> dense)."
        )
    if name == "XLMCausalLM":
        return (
            "XLMCausalLM on an XLM-R-shaped backbone has XLM's LM head (tied table + "
            "bias); transformers' XLMRobertaForCausalLM has XLM-R's (dense, LayerNorm)."
        )
    return (
        f"{name} with XLM's head on an XLM-R-shaped backbone: transformers' XLM-R "
        "classes have XLM-R's heads only (LM: dense, LayerNorm, tied table; "
        "classifier: dense + tanh -> dense)."
    )


def _config(checkpoint, model_type, architecture, tokenizer):
    """The transformers config of `checkpoint`."""
    import transformers

    backbone = checkpoint.backbone_config
    head = dict(checkpoint.task_config)
    options = {}  # Labels and head settings, the mask id.
    if checkpoint.task == "span_qa":
        options = dict(num_labels=2)
    elif checkpoint.task:
        label_names = head["label_names"]
        options = dict(
            id2label=dict(enumerate(label_names)),
            label2id={label: i for i, label in enumerate(label_names)},
        )
    if model_type == "xlm":
        languages = checkpoint.languages
        # The tokenizer's special ids; without one, XLMTokenizer's (SentencePiece).
        ids = tokenizer or XLMTokenizer
        if tokenizer is not None:
            options["mask_index"] = tokenizer.mask_token_id
        if checkpoint.task == "text_classifier":
            options.update({key: values[0] for key, values in hf.SEQUENCE_SUMMARY.items()})
            options["summary_first_dropout"] = head["dropout"]
        config = transformers.XLMConfig(
            vocab_size=backbone["vocabulary_size"],
            emb_dim=backbone["hidden_dim"],
            n_layers=backbone["num_layers"],
            n_heads=backbone["num_heads"],
            dropout=backbone["dropout"],
            attention_dropout=backbone["dropout"],
            gelu_activation=backbone["activation"] == "gelu",
            sinusoidal_embeddings=backbone["position_embedding"] == "sinusoidal",
            causal=backbone["causal"],
            asm=False,
            n_langs=backbone["num_languages"],
            use_lang_emb=backbone["use_language_embedding"],
            max_position_embeddings=backbone["max_sequence_length"],
            layer_norm_eps=backbone["layer_norm_epsilon"],
            bos_index=ids.start_token_id,
            pad_index=ids.pad_token_id,
            eos_index=ids.end_token_id,
            unk_index=ids.unk_token_id,
            bos_token_id=ids.start_token_id,
            pad_token_id=ids.pad_token_id,
            eos_token_id=ids.end_token_id,
            lang2id={code: i for i, code in enumerate(languages)} or None,
            id2lang=dict(enumerate(languages)) or None,
            **options,
        )
    else:
        config_class = (
            transformers.XLMRobertaXLConfig
            if model_type == "xlm-roberta-xl"
            else transformers.XLMRobertaConfig
        )
        config = config_class(
            vocab_size=backbone["vocabulary_size"],
            hidden_size=backbone["hidden_dim"],
            num_hidden_layers=backbone["num_layers"],
            num_attention_heads=backbone["num_heads"],
            intermediate_size=backbone["intermediate_dim"],
            hidden_act=backbone["activation"],
            hidden_dropout_prob=backbone["dropout"],
            attention_probs_dropout_prob=backbone["dropout"],
            max_position_embeddings=backbone["max_sequence_length"] + ROBERTA_POSITION_OFFSET,
            type_vocab_size=1,
            layer_norm_eps=backbone["layer_norm_epsilon"],
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
            classifier_dropout=head.get("dropout"),
            **options,
        )
    config.architectures = [architecture]
    return config


def _write_weights(checkpoint, model_type, architecture, config, directory):
    """`model.safetensors`: every weight of the transformers model, named as
    transformers names it, from the canonical weights; tied copies and
    position buffers left to transformers, as its `save_pretrained` does."""
    import torch
    import transformers
    from safetensors.numpy import save_file

    rules, dropped = _RULES[model_type]
    rules = rules + hf.ARCHITECTURES[architecture][1]
    weights = dict(checkpoint.weights)
    if model_type == "xlm" and "position_embedding" not in weights:
        weights["position_embedding"] = sinusoidal_table(
            checkpoint.backbone_config["max_sequence_length"],
            checkpoint.backbone_config["hidden_dim"],
        ).astype(np.float32)
    # XLM-R adds its one token-type row to every token; ours is folded into
    # the position table (`hf.fold_token_type`), so the row is zero.
    weights["token_type_embedding"] = np.zeros((1, checkpoint.backbone_config["hidden_dim"]))
    kwargs = {"add_pooling_layer": False} if architecture.endswith("RobertaModel") else {}
    with torch.device("meta"):
        reference = getattr(transformers, architecture)(config, **kwargs)
    tensors = {}
    for name, meta in reference.state_dict().items():
        if any(pattern.fullmatch(name) for pattern, _ in dropped):
            continue
        canonical = next(
            (pattern.sub(target, name) for pattern, target in rules if pattern.fullmatch(name)),
            None,
        )
        if canonical not in weights:
            raise ValueError(
                f"transformers' {architecture} has {name} ({canonical or 'no canonical name'}), "
                "which the model does not hold."
            )
        value = np.asarray(weights.pop(canonical), np.float32)
        if value.shape != tuple(meta.shape):
            raise ValueError(
                f"{name}: transformers' {architecture} expects shape {tuple(meta.shape)}, "
                f"the model has {value.shape}."
            )
        tensors[name] = value
    weights.pop("token_type_embedding", None)
    if weights:
        raise ValueError(
            f"transformers' {architecture} has no place for the weights {sorted(weights)[:10]}."
        )
    save_file(tensors, os.path.join(directory, WEIGHTS_FILE), metadata={"format": "pt"})
