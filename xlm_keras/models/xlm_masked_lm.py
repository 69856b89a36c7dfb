"""`XLMMaskedLM`: the MLM / TLM pretraining task."""

import keras
from keras_hub.layers import MaskedLMHead
from keras_hub.models import MaskedLM

from xlm_keras.layers import XLMPredictionHead
from xlm_keras.models import presets
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_backbone import complete_inputs

LM_HEADS = ("xlm", "roberta")


def resolve_lm_head(lm_head, backbone):
    """`"auto"` picks XLM-R's head for XLM-R layouts (offset positions)."""
    if lm_head == "auto":
        return "roberta" if backbone.position_offset > 0 else "xlm"
    if lm_head not in LM_HEADS:
        raise ValueError(
            f"`lm_head` must be one of {LM_HEADS + ('auto',)}. "
            f"Received: lm_head={lm_head!r}"
        )
    return lm_head


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMMaskedLM(MaskedLM):
    """Masked language model (MLM, and TLM on concatenated pairs).

    Logits are computed only at `mask_positions`, so the vocabulary
    projection costs `targets` rows rather than `seq` rows.

    Args:
        backbone: `XLMBackbone`.
        lm_head: `"xlm"` (XLM's `pred_layer`: tied embeddings + bias),
            `"roberta"` (XLM-R's dense -> GELU -> LayerNorm -> tied + bias,
            keras-hub's `MaskedLMHead`) or `"auto"` (`"roberta"` when the
            backbone offsets positions like XLM-R, else `"xlm"`).
        preprocessor: optional preprocessing layer applied by `fit`/`predict`.

    Inputs (dict): the backbone's inputs plus
        mask_positions: int32 [batch, targets], positions to predict.

    Output: logits float32 [batch, targets, vocabulary_size]. Train with
    labels int [batch, targets] and `sample_weight` [batch, targets] (0 on
    padded targets) so the loss covers only real targets.

    Example:
    >>> mlm = XLMMaskedLM.from_preset("xlm_roberta_tiny")
    >>> ids = np.array([[0, 5, 6, 2]], "int32")
    >>> mlm({"token_ids": ids, "padding_mask": ids > -1,
    ...      "mask_positions": np.array([[1]], "int32")}).shape
    TensorShape([1, 1, 1000])
    """

    backbone_cls = XLMBackbone
    preprocessor_cls = None

    def __init__(self, backbone, lm_head="auto", preprocessor=None, **kwargs):
        lm_head = resolve_lm_head(lm_head, backbone)

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        if lm_head == "xlm":
            self.masked_lm_head = XLMPredictionHead(
                backbone.token_embedding,
                dtype=backbone.dtype_policy,
                name="mlm_head",
            )
        else:
            self.masked_lm_head = MaskedLMHead(
                token_embedding=backbone.token_embedding,
                intermediate_activation="gelu",
                layer_norm_epsilon=backbone.layer_norm_epsilon,
                kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
                dtype=backbone.dtype_policy,
                name="mlm_head",
            )

        # === Functional Model ===
        inputs = {
            **backbone.input,
            "mask_positions": keras.Input(
                (None,), dtype="int32", name="mask_positions"
            ),
        }
        backbone_inputs = {k: v for k, v in inputs.items() if k != "mask_positions"}
        sequence_output = backbone(backbone_inputs)
        outputs = self.masked_lm_head(
            sequence_output, mask_positions=inputs["mask_positions"]
        )
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.lm_head = lm_head

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(complete_inputs(self, inputs), *args, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["lm_head"] = self.lm_head
        return config

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Built-in preset name (random weights) or a preset directory."""
        if presets.is_builtin(preset):
            backbone = XLMBackbone.from_preset(preset, load_weights=load_weights)
            kwargs.setdefault("lm_head", presets.lm_head(preset))
            return cls(backbone=backbone, **kwargs)
        return super().from_preset(preset, load_weights=load_weights, **kwargs)
