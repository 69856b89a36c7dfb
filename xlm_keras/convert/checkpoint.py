"""The neutral form every converter reads a checkpoint into."""

import dataclasses

import numpy as np
from absl import logging

from xlm_keras.convert import names

# float32 rounding of values in [-1, 1] is below 6e-8; a fine-tuned table
# moves by far more.
SINUSOIDAL_TOLERANCE = 1e-6
# Tied copies are the same tensor saved twice: equal, up to a dtype cast.
TIED_TOLERANCE = 1e-6


@dataclasses.dataclass
class Checkpoint:
    """A checkpoint read into `XLMBackbone` terms.

    Attributes:
        backbone_config: `XLMBackbone` kwargs (`XLMSeq2SeqBackbone`'s for
            the task `"seq2seq"`).
        weights: canonical name -> array or `StoredTensor` (read from the
            file by `np.asarray(value, np.float32)` when it is assigned),
            linear weights in torch layout `[out, in]`. Names:
            `token_embedding`, `position_embedding`, `language_embedding`,
            `embeddings_layer_norm.{weight,bias}`,
            `layers.{i}.{query,key,value,attention_output,intermediate,output}
            .{weight,bias}`, `layers.{i}.{attention,ffn}_layer_norm.{weight,
            bias}`, `final_layer_norm.{weight,bias}`, and for an LM head
            `lm_head.bias` (+ `lm_head.dense.*`, `lm_head.layer_norm.*` for
            the XLM-R head), and for a task head `head.logits.{weight,bias}`
            (the layer giving the logits) + `head.pooled_dense.{weight,bias}`
            (XLM-R classifier's dense + tanh before it).
        lm_head: `"xlm"`, `"roberta"` or None when the checkpoint has no head.
        task: `"text_classifier"`, `"token_classifier"`, `"span_qa"` (a
            fine-tuned task head), `"seq2seq"` (an encoder-decoder: the
            names above are the encoder's, `decoder.<name>` the decoder's,
            with `layers.{i}.cross_{query,key,value,attention_output}` and
            `layers.{i}.cross_attention_layer_norm` for cross-attention; the
            LM head is the decoder's) or None.
        task_config: the task class's kwargs besides the backbone
            (`num_classes`, `label_names`, `head`, `dropout`).
        languages: language codes in language-id order.
        assets: file name -> source path of tokenizer files to carry along.
        bpe_lowercase: XLM BPE checkpoints: whether the text is lower-cased
            and its accents removed before BPE (`XLMBPETokenizer`).
        source: a short description of what was read, for metadata.
    """

    backbone_config: dict
    weights: dict
    lm_head: str | None = None
    task: str | None = None
    task_config: dict = dataclasses.field(default_factory=dict)
    languages: list = dataclasses.field(default_factory=list)
    assets: dict = dataclasses.field(default_factory=dict)
    bpe_lowercase: bool = False
    source: str = ""


def rename(state_dict, rules, dropped=(), source=""):
    """Map source weight names to canonical ones.

    Args:
        state_dict: name -> array or `StoredTensor` (kept unread).
        rules: list of `(compiled regex, replacement)`, first full match wins.
        dropped: list of `(compiled regex, expectation)` for names dropped on
            purpose; the expectation (`names.POSITIONS`, a canonical name the
            weight is a tied copy of, or `names.UNUSED`) is checked first, so
            a copy that was untied, or a buffer that was changed, is an error
            instead of a silent difference.
        source: checkpoint description used in the error message.

    Returns: canonical name -> the value of `state_dict`.
    """
    renamed, unknown, copies = {}, [], []
    for name, value in state_dict.items():
        drop = [expected for pattern, expected in dropped if pattern.fullmatch(name)]
        if drop:
            copies.append((name, value, drop[0]))
            continue
        for pattern, replacement in rules:
            if pattern.fullmatch(name):
                renamed[pattern.sub(replacement, name)] = value
                break
        else:
            unknown.append(name)
    if unknown:
        raise ValueError(
            f"{source}: {len(unknown)} weight(s) not part of any supported "
            f"XLM/XLM-R architecture: {sorted(unknown)[:10]}. Supported: the "
            "encoder, the MLM head and the sequence/token classification and "
            "span QA heads of XLM and XLM-R (adaptive softmax, token-type "
            "vocabularies > 1 and other heads are not)."
        )
    for name, value, expectation in copies:
        _check_dropped(name, value, expectation, renamed, source)
    return renamed


def _check_dropped(name, value, expectation, renamed, source):
    if expectation is names.UNUSED:
        return
    value = np.asarray(value)
    if expectation == names.POSITIONS:
        expected = np.broadcast_to(np.arange(value.shape[-1]), value.shape)
        if not np.array_equal(value, expected):
            raise ValueError(
                f"{source}: buffer {name!r} is not the positions 0, 1, 2, ... "
                f"(it starts {value.reshape(-1)[:5].tolist()}); the converted "
                "model always counts positions from 0, so it would compute "
                "something else. Restore the buffer to torch.arange."
            )
        return
    kept = renamed.get(expectation)
    if kept is None or tuple(kept.shape) != value.shape:
        raise ValueError(
            f"{source}: {name!r} is a tied copy of {expectation!r}, which is "
            f"{'missing' if kept is None else f'of shape {kept.shape}'} "
            f"(the copy has shape {value.shape})."
        )
    difference = float(
        np.max(np.abs(np.asarray(kept, np.float32) - value.astype(np.float32)), initial=0.0)
    )
    if difference > TIED_TOLERANCE:
        raise ValueError(
            f"{source}: {name!r} should be a tied copy of {expectation!r} but "
            f"differs from it by {difference:.3g} max abs; the model was "
            "trained with untied weights, which this package's LM heads "
            "(sharing the token table and one bias) cannot hold."
        )


def check_sinusoidal_table(weights, backbone_config, source):
    """Keep the formula only when the stored table is the formula.

    A sinusoidal checkpoint stores its position table, and Hugging Face
    keeps it as a parameter that fine-tuning can move. When the stored
    `position_embedding` equals XLM's formula (within float32 rounding) it
    is dropped and the backbone computes the formula; otherwise the
    backbone becomes a learned-position one holding the stored table, and a
    warning says so. Updates `weights` and `backbone_config` in place.
    """
    table = np.asarray(weights["position_embedding"], np.float32)
    difference = float(np.max(np.abs(table - sinusoidal_table(*table.shape))))
    if difference <= SINUSOIDAL_TOLERANCE:
        del weights["position_embedding"]
        backbone_config["position_embedding"] = "sinusoidal"
        return
    logging.warning(
        "%s: the stored sinusoidal position table differs from the formula "
        "by %.3g max abs; it is kept as a learned position table of %d "
        "positions.",
        source,
        difference,
        table.shape[0],
    )
    backbone_config["position_embedding"] = "learned"
    backbone_config["max_sequence_length"] = table.shape[0]


def sinusoidal_table(num_positions, dim):
    """float64 [num_positions, dim]: XLM's fixed table (sin on even, cos on
    odd features), as facebookresearch/XLM and Hugging Face compute it."""
    positions = np.arange(num_positions)[:, None]
    angles = positions / np.power(10000, 2 * (np.arange(dim) // 2) / dim)[None, :]
    return np.where(np.arange(dim) % 2 == 0, np.sin(angles), np.cos(angles))


def count_layers(weights):
    """Number of Transformer blocks among canonical weight names."""
    indices = {int(name.split(".")[1]) for name in weights if name.startswith("layers.")}
    return max(indices) + 1 if indices else 0


def ordered(mapping):
    """Keys of a `name -> id` mapping sorted by id."""
    return [name for name, _ in sorted(mapping.items(), key=lambda item: item[1])]
