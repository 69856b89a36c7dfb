"""Read a Keras model of this package back into the neutral `Checkpoint`,
through the same walk `to_keras` assigns with (one name map, both ways)."""

import numpy as np

from xlm_keras.convert.checkpoint import Checkpoint
from xlm_keras.convert.to_keras import TASKS
from xlm_keras.convert.to_keras import pair_backbone
from xlm_keras.convert.to_keras import pair_decoder
from xlm_keras.convert.to_keras import pair_lm_head
from xlm_keras.convert.to_keras import pair_task_head
from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMCausalLM
from xlm_keras.models import XLMMaskedLM
from xlm_keras.models import XLMSeq2SeqLM
from xlm_keras.models.xlm_backbone import BACKBONE_ARGUMENTS
from xlm_keras.models.xlm_seq2seq_backbone import SHARED_ARGUMENTS

# Task class -> `Checkpoint.task`.
TASK_NAMES = {cls: name for name, cls in TASKS.items()}
# The task arguments a `Checkpoint.task_config` keeps (those of `TASKS`).
TASK_ARGUMENTS = ("num_classes", "label_names", "head", "dropout", "pooling", "language_centering")


class KerasReader:
    """Reads variables out under their canonical names (torch layout:
    linear weights `[out, in]`), the inverse of `to_keras._Assigner`;
    `finish` checks that every variable of the model was read."""

    def __init__(self):
        self.weights = {}
        self.read = set()

    def _value(self, variable, name):
        if name in self.weights:
            raise ValueError(f"Two variables map to the canonical weight {name!r}.")
        self.read.add(id(variable))
        return np.asarray(variable.numpy(), np.float32)

    def tensor(self, variable, name):
        self.weights[name] = self._value(variable, name)

    def linear(self, dense, name, kernel_shape=None):
        """Keras kernel `[in, out]` (reshaped for attention) -> `[out, in]`;
        the bias gives `out`."""
        bias = self._value(dense.bias, f"{name}.bias").reshape(-1)
        kernel = self._value(dense.kernel, f"{name}.weight")
        self.weights[f"{name}.weight"] = np.ascontiguousarray(kernel.reshape(-1, bias.size).T)
        self.weights[f"{name}.bias"] = bias

    def layer_norm(self, layer, name):
        self.tensor(layer.gamma, f"{name}.weight")
        self.tensor(layer.beta, f"{name}.bias")

    def finish(self, model):
        unread = [v.path for v in model.weights if id(v) not in self.read]
        if unread:
            raise ValueError(
                f"{type(model).__name__} has variables outside the checkpoint name map: "
                f"{unread[:10]}."
            )


def read_keras(model, languages=()):
    """The `Checkpoint` of an `XLMBackbone`, `XLMMaskedLM`, `XLMCausalLM`,
    `XLMSeq2SeqLM` or a fine-tuned task of `to_keras.TASKS`.

    Args:
        model: the Keras model.
        languages: language codes in language-id order (the tokenizer's).

    Returns: `Checkpoint` whose `build_model` gives `model` back (same
    weights); `task_config` also keeps `pooling` and `language_centering`.
    """
    backbone = model if isinstance(model, XLMBackbone) else model.backbone
    put = KerasReader()
    lm_head, task, task_config = None, None, {}
    if isinstance(model, XLMSeq2SeqLM):
        arguments = SHARED_ARGUMENTS + ("num_decoder_layers",)
        pair_backbone(backbone.encoder, put)
        pair_decoder(backbone, put)
        lm_head, task = model.lm_head, "seq2seq"
    else:
        arguments = BACKBONE_ARGUMENTS
        pair_backbone(backbone, put)
    if isinstance(model, (XLMMaskedLM, XLMCausalLM)):
        lm_head = "xlm" if isinstance(model, XLMCausalLM) else model.lm_head
    if type(model) in TASK_NAMES:
        task = TASK_NAMES[type(model)]
        config = model.get_config()
        task_config = {name: config[name] for name in TASK_ARGUMENTS if name in config}
        pair_task_head(model, put)
    elif lm_head is not None:
        pair_lm_head(model, lm_head, put)
    put.finish(model)
    return Checkpoint(
        backbone_config={name: getattr(backbone, name) for name in arguments},
        weights=put.weights,
        lm_head=lm_head,
        task=task,
        task_config=task_config,
        languages=list(languages),
        source=f"Keras {type(model).__name__}",
    )
