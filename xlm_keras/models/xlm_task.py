"""`XLMTask`: what the XLM tasks share beyond keras-hub's `Task`."""

import numbers

import keras
import keras_hub
import tensorflow as tf
from keras import ops

from xlm_keras.keras_hub_internals import TOKENIZER_CONFIG_FILE
from xlm_keras.keras_hub_internals import any_equal
from xlm_keras.keras_hub_internals import check_file_exists
from xlm_keras.layers import XLMPredictionHead
from xlm_keras.layers import XLMRobertaLMHead
from xlm_keras.models import preset_files
from xlm_keras.models import presets
from xlm_keras.models.checks import check_int
from xlm_keras.models.weights_to_load import weights_to_load
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_backbone import complete_inputs
from xlm_keras.models.xlm_backbone import family
from xlm_keras.models.xlm_backbone import xlm_kernel_initializer
from xlm_keras.models.xlm_tokenizer import XLMTokenizer

HEADS = ("xlm", "roberta")


def resolve_head(head, backbone, argument="head"):
    """`"auto"` is the backbone's family (`"roberta"` for XLM-R layouts);
    else `head` must be one of `HEADS`."""
    if head == "auto":
        return family(backbone)
    if head not in HEADS:
        raise ValueError(
            f"`{argument}` must be one of {HEADS + ('auto',)}. Received: {argument}={head!r}"
        )
    return head


def is_raw(x):
    """Whether `x` is raw text (strings, a tuple of them, a text/question
    dict) rather than packed model inputs or a `tf.data.Dataset`."""
    if isinstance(x, tf.data.Dataset):
        return False
    if isinstance(x, dict):
        return "token_ids" not in x
    return True


def check_label_names(num_classes, label_names):
    """The validated label names of a `num_classes`-way head: `label_names`
    as a list, or `["0", "1", ...]` when it is None."""
    if (
        not isinstance(num_classes, numbers.Integral)
        or isinstance(num_classes, bool)
        or num_classes < 1
    ):
        raise ValueError(
            "`num_classes` must be an int >= 1 (the number of labels). "
            f"Received: num_classes={num_classes!r}"
        )
    if label_names is None:
        return [str(i) for i in range(num_classes)]
    label_names = list(label_names)
    if len(label_names) != num_classes:
        raise ValueError(
            f"`label_names` must name each of the {num_classes} classes "
            f"once; received {len(label_names)} names: {label_names!r}. Pass "
            f"{num_classes} names or change `num_classes`."
        )
    if not all(isinstance(name, str) for name in label_names):
        raise ValueError(f"`label_names` must be strings. Received: {label_names!r}")
    repeated = sorted({name for name in label_names if label_names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"`label_names` must be unique; {repeated} appear more than once in {label_names!r}."
        )
    return label_names


def output_layers(backbone, num_classes, dropout):
    """`(dropout, dense)`: the last layers of the classification heads,
    dropout then a dense layer to `num_classes` logits ("logits")."""
    dtype = backbone.dtype_policy
    return (
        keras.layers.Dropout(dropout, dtype=dtype, name="output_dropout"),
        keras.layers.Dense(
            num_classes, kernel_initializer=xlm_kernel_initializer(), dtype=dtype, name="logits"
        ),
    )


def lm_head_layer(kind, backbone, name):
    """The language-model head `kind` (`resolve_head`'s) over `backbone`'s
    token table: XLM's tied projection + bias (`"xlm"`), or XLM-R's dense
    -> GELU -> LayerNorm -> tied projection + bias (`"roberta"`)."""
    if kind == "xlm":
        return XLMPredictionHead(backbone.token_embedding, dtype=backbone.dtype_policy, name=name)
    return XLMRobertaLMHead(
        token_embedding=backbone.token_embedding,
        intermediate_activation="gelu",
        layer_norm_epsilon=backbone.layer_norm_epsilon,
        kernel_initializer=xlm_kernel_initializer(),
        dtype=backbone.dtype_policy,
        name=name,
    )


def generation_compile_defaults(optimizer, loss, weighted_metrics):
    """Resolve `"auto"` in a generative task's `compile` arguments: Adam
    (1e-4), cross-entropy on logits, weighted accuracy (pass `sample_weight`
    to skip padding)."""
    if optimizer == "auto":
        optimizer = keras.optimizers.Adam(1e-4)
    if loss == "auto":
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if weighted_metrics == "auto":
        weighted_metrics = [keras.metrics.SparseCategoricalAccuracy()]
    return optimizer, loss, weighted_metrics


# The sampler names `compile(sampler=...)` takes (keras-hub's).
SAMPLER_NAMES = ("greedy", "beam", "random", "top_k", "top_p", "contrastive")


def check_sampler(sampler):
    """The `keras_hub.samplers.Sampler` of `compile(sampler=...)`: a name
    from `SAMPLER_NAMES`, a sampler config, or a `Sampler` (e.g.
    `XLMBeamSampler`); anything else is refused here, not at `generate`."""
    if isinstance(sampler, keras_hub.samplers.Sampler):
        return sampler
    if isinstance(sampler, dict) or sampler in SAMPLER_NAMES:
        return keras_hub.samplers.get(sampler)
    raise ValueError(
        f"`sampler` must be one of {SAMPLER_NAMES} or a keras_hub.samplers.Sampler "
        f"(e.g. XLMBeamSampler(num_beams=4)). Received: sampler={sampler!r}"
    )


def check_generate_arguments(task, inputs, max_length):
    """The front of `generate`: raw `inputs` the preprocessor takes, and
    `max_length` None or an int in [2, the position table] (a start token
    and one generated token, at most as many positions as the model has)."""
    if task.preprocessor is not None and is_raw(inputs):
        task.preprocessor.check_inputs(inputs, "inputs")
    if max_length is not None:
        check_int(max_length, "max_length", 2, task.backbone.max_sequence_length)


def fine_tuning_compile_defaults(optimizer, loss, metrics):
    """Resolve `"auto"` in a fine-tuning task's `compile` arguments: AdamW
    (learning rate 2e-5, weight decay 0.01 except on biases and LayerNorm),
    cross-entropy on logits, accuracy."""
    if optimizer == "auto":
        optimizer = keras.optimizers.AdamW(learning_rate=2e-5, weight_decay=0.01)
        optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    if loss == "auto":
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if metrics == "auto":
        metrics = [keras.metrics.SparseCategoricalAccuracy()]
    return optimizer, loss, metrics


def normalize_generate_dict(normalize, inputs, text_key):
    """keras-hub's `_normalize_generate_inputs` (`normalize`) for a dict of
    raw inputs, keeping what it gets wrong: it takes the dict's last entry
    to decide whether the input was one example, and wraps every string in
    a list, so a batch of texts with one language code for all came back
    as one result (and a one-element code list for the batch). Here the
    text (`inputs[text_key]`) decides, and a code given once stays a scalar.

    Returns: `([batch], input_is_scalar)` as keras-hub's.
    """
    text = inputs.get(text_key)
    single = isinstance(text, (str, bytes)) or (tf.is_tensor(text) and text.shape.rank == 0)
    (batch,), _ = normalize(dict(inputs))
    if not single:
        batch = {
            key: inputs[key] if isinstance(inputs[key], (str, bytes)) else value
            for key, value in batch.items()
        }
    return [batch], single


def check_task_preset(cls, preset, load_weights, kwargs):
    """Before task class `cls` loads from a preset directory: its files
    parse, it has its task files unless a new head is asked for
    (`num_classes`) or no weights, and its tokenizer fits its backbone
    unless the caller passes a `preprocessor` (`preset_files`)."""
    preset_files.check_files(preset)
    if load_weights and "num_classes" not in kwargs:
        preset_files.check_task_files(preset, cls.__name__)
    if (
        "preprocessor" not in kwargs  # Else the caller brings its own, or none.
        and check_file_exists(preset, TOKENIZER_CONFIG_FILE)
        and check_file_exists(preset, preset_files.CONFIG_FILE)
    ):
        preset_files.check_tokenizer_fits(
            XLMTokenizer.from_preset(preset), preset_files.saved_backbone(preset), preset
        )


class XLMTask:
    """Mixin of the XLM tasks, placed before the keras-hub base class.

    - `__call__` checks packed inputs at the boundary (`complete_inputs`).
    - A given preprocessor is set to the backbone's frame and to whether
      the task takes language ids (`configure_preprocessor`, called at the
      end of `__init__`).
    - `from_preset` of a built-in name builds the architecture (random
      weights) with a new head; a directory goes to keras-hub, after
      `check_task_preset`.
    - `save_to_preset` records the task in the preset (`record_task`).
    """

    backbone_cls = XLMBackbone

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(complete_inputs(self, inputs), *args, **kwargs)

    def configure_preprocessor(self):
        if self.preprocessor is not None:
            self.preprocessor.configure_for(self)

    def packed_predict(self, inputs, batch_size=32):
        """Outputs of packed model inputs (no preprocessing), as numpy."""
        return keras.Model.predict(self, inputs, batch_size=batch_size, verbose=0)

    @classmethod
    def builtin_kwargs(cls, preset, kwargs):
        """Constructor arguments for a built-in preset (besides `backbone`)."""
        return kwargs

    @classmethod
    def from_preset(cls, preset, load_weights=True, compile=True, **kwargs):
        """A built-in preset name (architecture only, random weights; see
        `presets.PRESETS`) or a preset directory (`save_to_preset`,
        `xlm-train`, `xlm-convert`). `compile`: with the task's defaults,
        after the weights are loaded (a preset holds no optimizer state,
        and Keras warns of an optimizer made before loading)."""
        if presets.is_builtin(preset):
            backbone = XLMBackbone.from_preset(preset, load_weights=load_weights)
            return cls(backbone=backbone, compile=compile, **cls.builtin_kwargs(preset, kwargs))
        check_task_preset(cls, preset, load_weights, kwargs)
        if not check_file_exists(preset, TOKENIZER_CONFIG_FILE):
            kwargs.setdefault("preprocessor", None)  # No tokenizer: packed ids in.
        with preset_files.loading_weights(preset), weights_to_load(load_weights):
            task = super().from_preset(
                preset,
                load_weights=load_weights,
                compile=False,
                **preset_files.in_current_policy(kwargs),
            )
        if task.preprocessor is None and "preprocessor" not in kwargs:
            # A task saved without one (`xlm-convert`): raw text in all the same.
            task.preprocessor = cls.preprocessor_cls.from_preset(preset)
            task.configure_preprocessor()
        if compile:
            task.compile()
        return task

    def save_to_preset(self, preset_dir, **kwargs):
        """keras-hub's `save_to_preset`, and the task's class recorded in
        `metadata.json` (`preset_files.record_task`)."""
        super().save_to_preset(preset_dir, **kwargs)
        preset_files.record_task(preset_dir, type(self).__name__)


class LabelledTask(XLMTask):
    """`XLMTask` with `num_classes` and `label_names` (classification, tagging)."""

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """A built-in preset name (random weights) or a preset directory.

        A directory saved from this class gives the whole task (head weights
        and label names) unless `num_classes` is passed; any other preset
        directory (a backbone, an `XLMMaskedLM`/`XLMCausalLM`) gives its
        backbone weights under a new head, which needs `num_classes`.
        """
        if "num_classes" in kwargs and not presets.is_builtin(preset):
            # A new head: keras-hub skips saved head weights, and saved label
            # names belong to the old classes.
            kwargs.setdefault("label_names", None)
        return super().from_preset(preset, load_weights=load_weights, **kwargs)


def generated_padding_mask(token_ids, padding_mask, stop_token_ids):
    """bool [batch, length]: the padding mask of generated `token_ids`, each
    row kept up to and including its first generated stop token (the
    prompt, where `padding_mask` is true, never stops a row); all true
    without `stop_token_ids`."""
    if stop_token_ids is None:
        return ops.ones_like(token_ids, dtype="bool")
    ends = ops.cast(any_equal(token_ids, stop_token_ids, ops.logical_not(padding_mask)), "int32")
    return ops.logical_not(ops.cast(ops.cumsum(ends, axis=-1) - ends, "bool"))


class GenerativeTask:
    """Mixin of the generative tasks (`XLMCausalLM`, `XLMSeq2SeqLM`), placed
    before the keras-hub base class: `compile` with their defaults and a
    checked sampler, `generate` with checked arguments."""

    def compile(
        self, optimizer="auto", loss="auto", *, weighted_metrics="auto", sampler="greedy", **kwargs
    ):
        """`keras.Model.compile` with defaults: Adam, cross-entropy on logits,
        weighted accuracy (pass `sample_weight` to skip padding), and the
        keras-hub `sampler` that `generate` uses (`check_sampler`)."""
        optimizer, loss, weighted_metrics = generation_compile_defaults(
            optimizer, loss, weighted_metrics
        )
        super().compile(
            optimizer=optimizer,
            loss=loss,
            weighted_metrics=weighted_metrics,
            sampler=check_sampler(sampler),
            **kwargs,
        )

    def generate(self, inputs, max_length=None, **kwargs):
        """keras-hub's `generate`, its arguments checked first
        (`check_generate_arguments`): `max_length` None or an int in
        [2, `backbone.max_sequence_length`]."""
        check_generate_arguments(self, inputs, max_length)
        return super().generate(inputs, max_length=max_length, **kwargs)
