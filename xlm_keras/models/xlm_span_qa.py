"""`XLMSpanQA`: extractive question answering (answer span start/end)."""

import keras
from keras import ops
from keras_hub.models import Task

from xlm_keras.models import presets
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_backbone import complete_inputs
from xlm_keras.models.xlm_backbone import xlm_kernel_initializer
from xlm_keras.models.xlm_text_classifier import fine_tuning_compile_defaults

# Logit of padding positions: exp() of it is 0 even in float32 softmax.
PADDING_LOGIT = -1e9


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMSpanQA(Task):
    """Predict the start and end token of an answer span: one dense layer
    with two outputs on every hidden state, as in Hugging Face
    `XLMForQuestionAnsweringSimple` / `XLMRobertaForQuestionAnswering`.

    The caller packs question and context into one sequence; the model only
    sees ids.

    Args:
        backbone: `XLMBackbone`.
        preprocessor: optional preprocessing layer applied by `fit`/`predict`.

    Inputs (dict): the backbone's inputs (`token_ids`, `padding_mask`,
    optional `position_ids`, and `language_ids` exactly when the backbone
    has language embeddings).

    Output: logits float32 [batch, 2, seq]: row 0 scores each token as the
    answer's start, row 1 as its end; padding positions get -1e9 so they are
    never chosen. Train with labels int [batch, 2] (start, end): one sparse
    cross-entropy over `seq` covers both rows.

    Example:
    >>> qa = XLMSpanQA.from_preset("xlm_roberta_tiny")
    >>> ids = np.array([[0, 5, 6, 2, 1]], "int32")
    >>> qa({"token_ids": ids, "padding_mask": ids != 1}).shape
    TensorShape([1, 2, 5])
    """

    backbone_cls = XLMBackbone
    preprocessor_cls = None

    def __init__(self, backbone, preprocessor=None, **kwargs):
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.span_dense = keras.layers.Dense(
            2,
            kernel_initializer=xlm_kernel_initializer(),
            dtype=backbone.dtype_policy,
            name="span_logits",
        )

        # === Functional Model ===
        inputs = dict(backbone.input)
        logits = ops.cast(self.span_dense(backbone(inputs)), "float32")
        logits = ops.transpose(logits, (0, 2, 1))
        is_token = ops.expand_dims(ops.cast(inputs["padding_mask"], "bool"), 1)
        outputs = ops.where(is_token, logits, PADDING_LOGIT)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(complete_inputs(self, inputs), *args, **kwargs)

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        """`keras.Model.compile` with defaults: AdamW (2e-5), cross-entropy
        on logits, accuracy of start and end positions."""
        optimizer, loss, metrics = fine_tuning_compile_defaults(optimizer, loss, metrics)
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """A built-in preset name (random weights) or a preset directory:
        one saved from this class gives the whole task, any other (a
        backbone, an `XLMMaskedLM`/`XLMCausalLM`) its backbone weights under
        a new head."""
        if presets.is_builtin(preset):
            backbone = XLMBackbone.from_preset(preset, load_weights=load_weights)
            return cls(backbone=backbone, **kwargs)
        return super().from_preset(preset, load_weights=load_weights, **kwargs)
