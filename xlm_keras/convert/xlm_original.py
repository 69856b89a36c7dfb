"""facebookresearch/XLM `.pth` checkpoints (model + dico + params)."""

import json
import os
import tempfile

from xlm_keras.convert import names
from xlm_keras.convert.checkpoint import Checkpoint
from xlm_keras.convert.checkpoint import check_sinusoidal_table
from xlm_keras.convert.checkpoint import count_layers
from xlm_keras.convert.checkpoint import ordered
from xlm_keras.convert.checkpoint import rename
from xlm_keras.convert.torch_files import load_torch_pickle

REQUIRED_KEYS = ("model", "params", "dico_word2id")


def read_xlm(path, causal=None):
    """Read an XLM `.pth` checkpoint into a `Checkpoint`.

    Args:
        path: the `.pth` file, e.g. `mlm_tlm_xnli15_1024.pth`.
        causal: force causal attention; None infers it from `params`
            (a CLM checkpoint has `clm_steps` and no `mlm_steps`).
    """
    reloaded = load_torch_pickle(path)
    missing = [key for key in REQUIRED_KEYS if key not in reloaded]
    if missing:
        raise ValueError(
            f"{path} is not a facebookresearch/XLM checkpoint: missing "
            f"{missing}; found keys {sorted(reloaded)}."
        )
    params = reloaded["params"]
    state = {
        name[len("module."):] if name.startswith("module.") else name: value
        for name, value in reloaded["model"].items()
    }
    source = f"XLM checkpoint {path}"
    if params.get("asm"):
        raise ValueError(f"{source}: adaptive softmax (asm=True) is not supported.")
    weights = rename(state, names.XLM_RULES, names.XLM_DROPPED, source)
    if causal is None:
        causal = bool(params.get("clm_steps")) and not params.get("mlm_steps")
    emb_dim = int(params["emb_dim"])
    backbone_config = dict(
        vocabulary_size=weights["token_embedding"].shape[0],
        num_layers=count_layers(weights),
        num_heads=int(params["n_heads"]),
        hidden_dim=emb_dim,
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
    vocab_file = os.path.join(tempfile.mkdtemp(prefix="xlm_vocab_"), "vocab.json")
    with open(vocab_file, "w") as f:
        json.dump(reloaded["dico_word2id"], f, ensure_ascii=False)
    return Checkpoint(
        backbone_config,
        weights,
        lm_head="xlm" if "lm_head.bias" in weights else None,
        languages=ordered(params.get("lang2id") or {}),
        assets={"vocab.json": vocab_file},
        source=source,
    )
