"""`XLMCausalLM`: XLM's causal language-modelling (CLM) task."""

import keras
from keras_hub.models import Task

from xlm_keras.layers import XLMPredictionHead
from xlm_keras.models import presets
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_backbone import complete_inputs


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMCausalLM(Task):
    """Next-token prediction with a causal `XLMBackbone` and XLM's tied
    prediction layer (embeddings transposed + bias).

    Args:
        backbone: `XLMBackbone` built with `causal=True`.
        preprocessor: optional preprocessing layer applied by `fit`/`predict`.

    Inputs (dict): the backbone's inputs.

    Output: logits float32 [batch, seq, vocabulary_size]; position `t`
    predicts token `t + 1`. Train with labels = ids shifted left by one and
    `sample_weight` 0 on padding and on the last real token.

    Example:
    >>> clm = XLMCausalLM.from_preset("xlm_tiny_clm")
    >>> ids = np.array([[1, 5, 6, 1]], "int32")
    >>> clm({"token_ids": ids, "padding_mask": ids > -1,
    ...      "language_ids": np.zeros_like(ids)}).shape
    TensorShape([1, 4, 1000])
    """

    backbone_cls = XLMBackbone
    preprocessor_cls = None

    def __init__(self, backbone, preprocessor=None, **kwargs):
        if not backbone.causal:
            raise ValueError(
                "XLMCausalLM needs a causal backbone: build it with "
                "`causal=True` (e.g. preset 'xlm_clm_enfr_1024'). A "
                "bidirectional backbone would see the tokens it predicts."
            )

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.lm_head = XLMPredictionHead(
            backbone.token_embedding, dtype=backbone.dtype_policy, name="clm_head"
        )

        # === Functional Model ===
        inputs = dict(backbone.input)
        outputs = self.lm_head(backbone(inputs))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(complete_inputs(self, inputs), *args, **kwargs)

    def compile(self, optimizer="auto", loss="auto", *, weighted_metrics="auto",
                **kwargs):
        """`keras.Model.compile` with defaults: Adam, cross-entropy on logits,
        weighted accuracy (pass `sample_weight` to skip padding)."""
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(1e-4)
        if loss == "auto":
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        if weighted_metrics == "auto":
            weighted_metrics = [keras.metrics.SparseCategoricalAccuracy()]
        super().compile(optimizer=optimizer, loss=loss,
                        weighted_metrics=weighted_metrics, **kwargs)

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Built-in preset name (random weights) or a preset directory."""
        if presets.is_builtin(preset):
            backbone = XLMBackbone.from_preset(preset, load_weights=load_weights)
            return cls(backbone=backbone, **kwargs)
        return super().from_preset(preset, load_weights=load_weights, **kwargs)
