"""The neutral form every converter reads a checkpoint into."""

import dataclasses

import numpy as np


@dataclasses.dataclass
class Checkpoint:
    """A checkpoint read into `XLMBackbone` terms.

    Attributes:
        backbone_config: `XLMBackbone` kwargs.
        weights: canonical name -> array, linear weights in torch layout
            `[out, in]`. Names: `token_embedding`, `position_embedding`,
            `language_embedding`, `embeddings_layer_norm.{weight,bias}`,
            `layers.{i}.{query,key,value,attention_output,intermediate,output}
            .{weight,bias}`, `layers.{i}.{attention,ffn}_layer_norm.{weight,
            bias}`, `final_layer_norm.{weight,bias}`, and for an LM head
            `lm_head.bias` (+ `lm_head.dense.*`, `lm_head.layer_norm.*` for
            the XLM-R head).
        lm_head: `"xlm"`, `"roberta"` or None when the checkpoint has no head.
        languages: language codes in language-id order.
        assets: file name -> source path of tokenizer files to carry along.
        source: a short description of what was read, for metadata.
    """

    backbone_config: dict
    weights: dict
    lm_head: str | None = None
    languages: list = dataclasses.field(default_factory=list)
    assets: dict = dataclasses.field(default_factory=dict)
    source: str = ""


def rename(state_dict, rules, ignored=(), source=""):
    """Map source weight names to canonical ones.

    Args:
        state_dict: name -> array.
        rules: list of `(compiled regex, replacement)`, first full match wins.
        ignored: regexes of names that are dropped on purpose (tied copies,
            buffers, version counters).
        source: checkpoint description used in the error message.

    Returns: canonical name -> float32 array.
    """
    renamed, unknown = {}, []
    for name, value in state_dict.items():
        if any(pattern.fullmatch(name) for pattern in ignored):
            continue
        for pattern, replacement in rules:
            if pattern.fullmatch(name):
                renamed[pattern.sub(replacement, name)] = np.asarray(
                    value, dtype=np.float32
                )
                break
        else:
            unknown.append(name)
    if unknown:
        raise ValueError(
            f"{source}: {len(unknown)} weight(s) not part of any supported "
            f"XLM/XLM-R architecture: {sorted(unknown)[:10]}. Supported: the "
            "encoder and MLM head of XLM and XLM-R (adaptive softmax, "
            "token-type vocabularies > 1 and task heads are not)."
        )
    return renamed


def count_layers(weights):
    """Number of Transformer blocks among canonical weight names."""
    indices = {int(name.split(".")[1]) for name in weights if name.startswith("layers.")}
    return max(indices) + 1 if indices else 0


def ordered(mapping):
    """Keys of a `name -> id` mapping sorted by id."""
    return [name for name, _ in sorted(mapping.items(), key=lambda item: item[1])]
