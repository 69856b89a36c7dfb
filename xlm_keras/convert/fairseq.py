"""fairseq XLM-R checkpoints: `model.pt` + `sentencepiece.bpe.model` + `dict.txt`."""

import os

from xlm_keras.convert import names
from xlm_keras.convert.checkpoint import Checkpoint
from xlm_keras.convert.checkpoint import count_layers
from xlm_keras.convert.checkpoint import rename
from xlm_keras.convert.torch_files import FAIRSEQ_GLOBALS
from xlm_keras.convert.torch_files import load_torch_pickle

ASSET_FILES = ("sentencepiece.bpe.model", "dict.txt")


def read_fairseq(path):
    """Read a fairseq RoBERTa/XLM-R checkpoint (a `model.pt` file or the
    directory holding it) into a `Checkpoint`."""
    directory, model_file = (
        (path, os.path.join(path, "model.pt"))
        if os.path.isdir(path)
        else (os.path.dirname(path), path)
    )
    if not os.path.exists(model_file):
        raise FileNotFoundError(
            f"No fairseq checkpoint at {model_file}; expected model.pt "
            "(with sentencepiece.bpe.model and dict.txt beside it)."
        )
    state = load_torch_pickle(model_file, allowed_globals=FAIRSEQ_GLOBALS)
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(
            f"{model_file} is not a fairseq checkpoint: expected a dict with "
            f"'model' (and 'args' or 'cfg'), found {type(state).__name__}"
            f"{' with keys ' + str(sorted(state)) if isinstance(state, dict) else ''}."
        )
    source = f"fairseq checkpoint {model_file}"
    args = _model_args(state)
    weights = rename(state["model"], names.FAIRSEQ_RULES, names.FAIRSEQ_DROPPED, source)
    pre_ln = "final_layer_norm.weight" in weights
    activation = args.get("activation_fn", "gelu")
    if activation not in ("gelu", "relu"):
        raise ValueError(f"{source}: activation_fn={activation!r}; supported: gelu, relu.")
    hidden = weights["token_embedding"].shape[1]
    if "encoder_attention_heads" not in args:
        raise ValueError(
            f"{source}: hyper-parameters ('args' or 'cfg.model') lack "
            "encoder_attention_heads, which the weights cannot tell."
        )
    padding_idx = 1  # fairseq Dictionary: <s>=0 <pad>=1 </s>=2 <unk>=3.
    offset = padding_idx + 1
    backbone_config = dict(
        vocabulary_size=weights["token_embedding"].shape[0],
        num_layers=count_layers(weights),
        num_heads=int(args["encoder_attention_heads"]),
        hidden_dim=hidden,
        intermediate_dim=weights["layers.0.intermediate.weight"].shape[0],
        dropout=float(args.get("dropout", 0.1)),
        max_sequence_length=weights["position_embedding"].shape[0] - offset,
        position_embedding="learned",
        position_offset=offset,
        num_languages=1,
        use_language_embedding=False,
        activation=activation,
        layer_norm_epsilon=1e-5,
        normalize_first=pre_ln,
        causal=False,
    )
    return Checkpoint(
        backbone_config,
        weights,
        lm_head="roberta" if "lm_head.bias" in weights else None,
        assets={
            name: os.path.join(directory, name)
            for name in ASSET_FILES
            if os.path.exists(os.path.join(directory, name))
        },
        source=source,
    )


def _model_args(state):
    """fairseq hyper-parameters as a dict: `args` (Namespace, fairseq < 0.10)
    or `cfg['model']` (newer, when saved as plain containers)."""
    if state.get("args") is not None:
        return vars(state["args"])
    model_cfg = (state.get("cfg") or {}).get("model")
    if isinstance(model_cfg, dict):
        return model_cfg
    if model_cfg is not None:
        return vars(model_cfg)
    return {}
