"""Hugging Face XLM / XLM-R / XLM-R XL model directories."""

import json
import os

import numpy as np

from xlm_keras.convert import names
from xlm_keras.convert.bpe_files import hf_lowercase
from xlm_keras.convert.checkpoint import Checkpoint
from xlm_keras.convert.checkpoint import check_sinusoidal_table
from xlm_keras.convert.checkpoint import ordered
from xlm_keras.convert.checkpoint import rename
from xlm_keras.convert.torch_files import load_hf_state_dict
from xlm_keras.ranges import finite_in_range
from xlm_keras.ranges import range_text

SUPPORTED_MODEL_TYPES = ("xlm", "xlm-roberta", "xlm-roberta-xl")
# XLM-R's SentencePiece model becomes an XLMTokenizer, XLM's BPE files an
# XLMBPETokenizer (Moses + BPE in the graph).
TOKENIZER_FILES = ("sentencepiece.bpe.model", "vocab.json", "merges.txt")

_ENCODER = (None, [])
_TEXT_CLASSIFIER_XLM = ("text_classifier", names.HF_TEXT_CLASSIFIER_XLM_RULES)
_TEXT_CLASSIFIER_ROBERTA = ("text_classifier", names.HF_TEXT_CLASSIFIER_ROBERTA_RULES)
_TOKEN_CLASSIFIER = ("token_classifier", names.HF_TOKEN_CLASSIFIER_RULES)
_SPAN_QA = ("span_qa", names.HF_SPAN_QA_RULES)
# `architectures[0]` of config.json -> (task, rules of its head weights); the
# task None is an encoder with or without its LM head. A config without
# `architectures` is read as an encoder (a head's weights are then unknown).
ARCHITECTURES = {
    "XLMModel": _ENCODER,
    "XLMWithLMHeadModel": _ENCODER,
    "XLMForSequenceClassification": _TEXT_CLASSIFIER_XLM,
    "XLMForTokenClassification": _TOKEN_CLASSIFIER,
    "XLMForQuestionAnsweringSimple": _SPAN_QA,
    "XLMRobertaModel": _ENCODER,
    "XLMRobertaForMaskedLM": _ENCODER,
    "XLMRobertaForSequenceClassification": _TEXT_CLASSIFIER_ROBERTA,
    "XLMRobertaForTokenClassification": _TOKEN_CLASSIFIER,
    "XLMRobertaForQuestionAnswering": _SPAN_QA,
    "XLMRobertaXLModel": _ENCODER,
    "XLMRobertaXLForMaskedLM": _ENCODER,
    "XLMRobertaXLForSequenceClassification": _TEXT_CLASSIFIER_ROBERTA,
    "XLMRobertaXLForTokenClassification": _TOKEN_CLASSIFIER,
    "XLMRobertaXLForQuestionAnswering": _SPAN_QA,
}
_MULTIPLE_CHOICE = (
    "multiple choice (one score per packed choice; XLM-R's from the pooler) "
    "has no task in xlm_keras."
)
_DECODER = (
    "it is a causal decoder (is_decoder); converting its weights to a "
    "bidirectional XLM-R would compute something else."
)
# Architectures refused, with the reason.
REFUSED = {
    "XLMForQuestionAnswering": (
        "its SQuAD v2 head (end logits conditioned on the start, an "
        "answerability classifier and beam search over the top start/end "
        "pairs) has no task in xlm_keras; XLMSpanQA reproduces "
        "XLMForQuestionAnsweringSimple, so fine-tune that head instead."
    ),
    "XLMForMultipleChoice": _MULTIPLE_CHOICE,
    "XLMRobertaForMultipleChoice": _MULTIPLE_CHOICE,
    "XLMRobertaXLForMultipleChoice": _MULTIPLE_CHOICE,
    "XLMRobertaForCausalLM": _DECODER,
    "XLMRobertaXLForCausalLM": _DECODER,
}


def read_hf(directory):
    """Read a Hugging Face checkpoint directory into a `Checkpoint`.

    Supports the architectures in `ARCHITECTURES`: encoders, MLM heads,
    and the sequence classification, token classification and span QA
    heads of XLM, XLM-R and XLM-R XL (with `label_names` from `id2label`).
    """
    config_path = os.path.join(directory, "config.json")
    if not os.path.exists(config_path):
        raise FileNotFoundError(
            f"{directory} has no config.json; expected a Hugging Face model "
            "directory (config.json + model.safetensors or pytorch_model.bin)."
        )
    config = read_config(config_path)
    model_type = config.get("model_type")
    if model_type == "encoder-decoder":
        return _with_assets(
            _read_encoder_decoder(config, load_hf_state_dict(directory), directory), directory
        )
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ValueError(
            f"{config_path} has model_type={model_type!r}; supported: {SUPPORTED_MODEL_TYPES}."
        )
    source = f"Hugging Face {model_type} checkpoint {directory}"
    architecture = (config.get("architectures") or [None])[0]
    if architecture in REFUSED:
        raise ValueError(f"{source} is a {architecture}: {REFUSED[architecture]}")
    if architecture is not None and architecture not in ARCHITECTURES:
        raise ValueError(
            f"{source}: architecture {architecture!r} is not supported; "
            f"supported: {sorted(ARCHITECTURES)}."
        )
    task, head_rules = ARCHITECTURES.get(architecture, _ENCODER)
    lowercase = hf_lowercase(directory)
    state = load_hf_state_dict(directory)
    if model_type == "xlm":
        checkpoint = _read_xlm(config, state, source, head_rules)
        checkpoint.bpe_lowercase = lowercase
    else:
        checkpoint = _read_xlm_roberta(config, state, model_type, source, head_rules)
    if task is not None:
        checkpoint.task = task
        checkpoint.task_config = _task_config(config, task, model_type, source)
    return _with_assets(checkpoint, directory)


def _with_assets(checkpoint, directory):
    """`checkpoint` with the tokenizer files found in `directory`."""
    checkpoint.assets = {
        name: os.path.join(directory, name)
        for name in TOKENIZER_FILES
        if os.path.exists(os.path.join(directory, name))
    }
    return checkpoint


def _read_encoder_decoder(config, state, directory):
    """An `EncoderDecoderModel` of an XLM-R encoder (`XLMRobertaModel`) and
    an XLM-R decoder (`XLMRobertaForCausalLM` with `is_decoder` and
    `add_cross_attention`) of the same width and vocabulary: an
    `XLMSeq2SeqLM` with XLM-R's LM head. The decoder's weights become
    `decoder.<canonical name>`, its head `lm_head.*`."""
    source = f"Hugging Face encoder-decoder checkpoint {directory}"
    sides = {}
    for side in ("encoder", "decoder"):
        side_config = ConfigJson(f"{config.path} ({side})", config[side])
        if side_config.get("model_type") not in ("xlm-roberta", "xlm-roberta-xl"):
            raise ValueError(
                f"{source}: its {side} has model_type={side_config.get('model_type')!r}; "
                "xlm_keras converts encoder-decoders of XLM-R ('xlm-roberta', "
                "'xlm-roberta-xl') on both sides."
            )
        prefix = f"{side}."
        sides[side] = (
            side_config,
            {
                name[len(prefix) :]: value
                for name, value in state.items()
                if name.startswith(prefix)
            },
        )
    decoder_config = sides["decoder"][0]
    if not (decoder_config.get("is_decoder") and decoder_config.get("add_cross_attention")):
        raise ValueError(
            f"{source}: its decoder needs is_decoder=True and add_cross_attention=True "
            "(an XLMRobertaForCausalLM that attends to the encoder)."
        )
    outside = sorted(name for name in state if not name.startswith(("encoder.", "decoder.")))
    if outside:
        raise ValueError(
            f"{source}: weights outside the encoder and decoder: {outside[:10]} (e.g. an "
            "enc_to_dec_proj between different widths, which XLMSeq2SeqLM has not)."
        )
    encoder = _read_xlm_roberta(*_side(sides["encoder"]), f"{source} (encoder)", [])
    decoder = _read_xlm_roberta(
        *_side(sides["decoder"]), f"{source} (decoder)", names.XLM_R_HF_CROSS_ATTENTION_RULES
    )
    if encoder.lm_head is not None or decoder.lm_head != "roberta":
        raise ValueError(
            f"{source}: expected an encoder without a head and a decoder with XLM-R's LM head."
        )
    backbone_config = dict(encoder.backbone_config)
    backbone_config.pop("causal")
    different = {
        key: (value, decoder.backbone_config[key])
        for key, value in backbone_config.items()
        if key != "num_layers" and decoder.backbone_config[key] != value
    }
    if different:
        raise ValueError(
            f"{source}: encoder and decoder differ in {different} (encoder, decoder); "
            "XLMSeq2SeqLM shares every shape but the depth."
        )
    backbone_config["num_decoder_layers"] = decoder.backbone_config["num_layers"]
    weights = dict(encoder.weights)
    for name, value in decoder.weights.items():
        weights[name if name.startswith("lm_head.") else f"decoder.{name}"] = value
    return Checkpoint(backbone_config, weights, lm_head="roberta", task="seq2seq", source=source)


def _side(side):
    """`(config, state, model_type)` of one side of an encoder-decoder."""
    side_config, state = side
    return side_config, state, side_config["model_type"]


_REQUIRED = object()


class ConfigJson(dict):
    """A config.json whose missing required key, or a value of the wrong
    type or range (`integer`, `number`), is an error naming the file, the
    key, the value and what is expected."""

    def __init__(self, path, values):
        super().__init__(values)
        self.path = path

    def __missing__(self, key):
        raise ValueError(
            f"{self.path} lacks {key!r}, which a {self.get('model_type')} config needs; use "
            "the config.json saved with this checkpoint (re-download it)."
        )

    def integer(self, key, low, default=_REQUIRED):
        """`self[key]` (or `default` when absent) as an int >= `low`."""
        value = self[key] if default is _REQUIRED else self.get(key, default)
        integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not integral or value < low:
            self._refuse(key, value, f"an integer >= {low}")
        return int(value)

    def number(self, key, low, high=None, default=_REQUIRED):
        """`self[key]` (or `default` when absent) as a finite float in
        [low, high] (`high` None: no upper bound)."""
        value = self[key] if default is _REQUIRED else self.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not finite_in_range(value, low, high)
        ):
            self._refuse(key, value, range_text(low, high).removeprefix("must be "))
        return float(value)

    def _refuse(self, key, value, expected):
        raise ValueError(
            f"{self.path}: {key}={json.dumps(value)} is not {expected}; use the "
            "config.json saved with this checkpoint (re-download it)."
        )


def read_config(path):
    """config.json as a `ConfigJson`; bad JSON is an error naming the file."""
    with open(path, encoding="utf-8") as f:
        try:
            values = json.load(f)
        except ValueError as error:  # JSONDecodeError, or bytes that are not UTF-8.
            raise ValueError(f"{path} is not valid JSON ({error}); re-download it.") from error
    if not isinstance(values, dict):
        raise ValueError(
            f"{path} holds a {type(values).__name__}, not a JSON object; re-download it."
        )
    return ConfigJson(path, values)


def _read_xlm(config, state, source, head_rules):
    if config.get("asm"):
        raise ValueError(f"{source}: adaptive softmax (asm=True) is not supported.")
    weights = rename(state, names.XLM_RULES + head_rules, names.XLM_DROPPED, source)
    backbone_config = dict(
        vocabulary_size=config.integer("vocab_size", 1),
        num_layers=config.integer("n_layers", 1),
        num_heads=config.integer("n_heads", 1),
        hidden_dim=config.integer("emb_dim", 1),
        intermediate_dim=4 * config.integer("emb_dim", 1),
        dropout=config.number("dropout", 0, 1, default=0.1),
        max_sequence_length=config.integer("max_position_embeddings", 1),
        position_embedding="learned",
        position_offset=0,
        num_languages=config.integer("n_langs", 1, default=1),
        use_language_embedding=config.get("use_lang_emb", True),
        activation="gelu" if config.get("gelu_activation", True) else "relu",
        layer_norm_epsilon=config.number("layer_norm_eps", 0, default=1e-12),
        normalize_first=False,
        causal=bool(config.get("causal", False)),
    )
    if config.get("sinusoidal_embeddings"):
        check_sinusoidal_table(weights, backbone_config, source)
    languages = ordered(config.get("lang2id") or {})
    return Checkpoint(
        backbone_config,
        weights,
        lm_head="xlm" if "lm_head.bias" in weights else None,
        languages=languages,
        source=source,
    )


def _read_xlm_roberta(config, state, model_type, source, head_rules):
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
            f"{source}: hidden_act={config['hidden_act']!r}; supported: 'gelu' (exact) and 'relu'."
        )
    weights = rename(state, names.XLM_R_HF_RULES + head_rules, names.XLM_R_HF_DROPPED, source)
    fold_token_type(weights)
    offset = config.integer("pad_token_id", 0, default=1) + 1
    backbone_config = dict(
        vocabulary_size=config.integer("vocab_size", 1),
        num_layers=config.integer("num_hidden_layers", 1),
        num_heads=config.integer("num_attention_heads", 1),
        hidden_dim=config.integer("hidden_size", 1),
        intermediate_dim=config.integer("intermediate_size", 1),
        dropout=config.number("hidden_dropout_prob", 0, 1, default=0.1),
        max_sequence_length=config.integer("max_position_embeddings", offset + 1) - offset,
        position_embedding="learned",
        position_offset=offset,
        num_languages=1,
        use_language_embedding=False,
        activation=config.get("hidden_act", "gelu"),
        layer_norm_epsilon=config.number("layer_norm_eps", 0, default=1e-5),
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
        positions = np.asarray(weights["position_embedding"], np.float32)
        weights["position_embedding"] = positions + np.asarray(token_type, np.float32)[0]


def _task_config(config, task, model_type, source):
    """The task class's kwargs from a fine-tuned model's config.json."""
    label_names = _label_names(config, source)
    if task == "span_qa":
        if len(label_names) != 2:
            raise ValueError(
                f"{source}: a question answering head with num_labels="
                f"{len(label_names)}; XLMSpanQA (like Hugging Face) needs 2: "
                "start and end."
            )
        return {}
    if model_type == "xlm":
        if task == "text_classifier":
            _check_sequence_summary(config, source)
            dropout = config.get("summary_first_dropout", 0.1)
        else:
            dropout = config.get("dropout", 0.1)
    else:
        dropout = config.get("classifier_dropout")
        if dropout is None:
            dropout = config.get("hidden_dropout_prob", 0.1)
    task_config = dict(num_classes=len(label_names), label_names=label_names, dropout=dropout)
    if task == "text_classifier":
        task_config["head"] = "xlm" if model_type == "xlm" else "roberta"
    return task_config


def _label_names(config, source):
    """`id2label` in class-id order, checked against `num_labels`."""
    id2label = {int(i): str(label) for i, label in (config.get("id2label") or {}).items()}
    num_labels = config.get("num_labels") or len(id2label) or 2
    if not id2label:
        id2label = {i: f"LABEL_{i}" for i in range(num_labels)}  # Hugging Face's default.
    if sorted(id2label) != list(range(num_labels)):
        raise ValueError(
            f"{source}: id2label has ids {sorted(id2label)} but num_labels="
            f"{num_labels}; expected ids 0..{num_labels - 1}. Fix config.json."
        )
    return [id2label[i] for i in range(num_labels)]


# XLMSequenceSummary settings XLMTextClassifier(head="xlm") reproduces:
# first token -> dropout -> dense to num_labels, no activation.
SEQUENCE_SUMMARY = {
    "summary_type": ("first",),
    "summary_use_proj": (True,),
    "summary_proj_to_labels": (True,),
    "summary_activation": (None, "", "linear"),
}


def _check_sequence_summary(config, source):
    for key, supported in SEQUENCE_SUMMARY.items():
        value = config.get(key, supported[0])
        if value not in supported:
            raise ValueError(
                f"{source}: {key}={value!r}; XLMTextClassifier(head='xlm') "
                "reproduces XLMForSequenceClassification's summary only with "
                + ", ".join(f"{k}={v[0]!r}" for k, v in SEQUENCE_SUMMARY.items())
                + " (first token -> dropout -> dense to num_labels)."
            )
