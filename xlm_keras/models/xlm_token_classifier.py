"""`XLMTokenClassifier`: one label per token (NER, POS tagging)."""

import keras
from keras import ops
from keras_hub.models import Task

from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_backbone import complete_inputs
from xlm_keras.models.xlm_backbone import xlm_kernel_initializer
from xlm_keras.models.xlm_text_classifier import check_label_names
from xlm_keras.models.xlm_text_classifier import fine_tuning_compile_defaults
from xlm_keras.models.xlm_text_classifier import labelled_task_from_preset


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMTokenClassifier(Task):
    """Classify every token: dropout -> dense on each hidden state, as in
    Hugging Face `XLMForTokenClassification` /
    `XLMRobertaForTokenClassification`.

    Args:
        backbone: `XLMBackbone`.
        num_classes: int >= 1. Number of labels.
        label_names: list of `num_classes` unique strings, the label of each
            class index (e.g. BIO tags); default `["0", "1", ...]`. Saved
            with the task.
        dropout: float. Dropout rate before the dense layer.
        preprocessor: optional preprocessing layer applied by `fit`/`predict`.

    Inputs (dict): the backbone's inputs (`token_ids`, `padding_mask`,
    optional `position_ids`, and `language_ids` exactly when the backbone
    has language embeddings).

    Output: logits float32 [batch, seq, num_classes]. Train with labels int
    [batch, seq] and `sample_weight` [batch, seq] (0 on padding and on
    sub-word pieces that carry no label); accuracy is weighted the same way.

    Example:
    >>> tagger = XLMTokenClassifier.from_preset(
    ...     "xlm_tiny", num_classes=3, label_names=["O", "B-PER", "I-PER"])
    >>> ids = np.array([[0, 5, 6, 1]], "int32")
    >>> tagger({"token_ids": ids, "padding_mask": ids > -1,
    ...         "language_ids": np.zeros_like(ids)}).shape
    TensorShape([1, 4, 3])
    """

    backbone_cls = XLMBackbone
    preprocessor_cls = None

    def __init__(
        self,
        backbone,
        num_classes,
        label_names=None,
        dropout=0.1,
        preprocessor=None,
        **kwargs,
    ):
        label_names = check_label_names(num_classes, label_names)

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.output_dropout = keras.layers.Dropout(
            dropout, dtype=backbone.dtype_policy, name="output_dropout"
        )
        self.output_dense = keras.layers.Dense(
            num_classes,
            kernel_initializer=xlm_kernel_initializer(),
            dtype=backbone.dtype_policy,
            name="logits",
        )

        # === Functional Model ===
        inputs = dict(backbone.input)
        x = self.output_dropout(backbone(inputs))
        outputs = ops.cast(self.output_dense(x), "float32")
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.num_classes = int(num_classes)
        self.label_names = label_names
        self.dropout = dropout

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(complete_inputs(self, inputs), *args, **kwargs)

    def compile(self, optimizer="auto", loss="auto", *, weighted_metrics="auto",
                **kwargs):
        """`keras.Model.compile` with defaults: AdamW (2e-5), cross-entropy
        on logits, weighted accuracy (pass `sample_weight` to skip padding)."""
        optimizer, loss, weighted_metrics = fine_tuning_compile_defaults(
            optimizer, loss, weighted_metrics)
        super().compile(optimizer=optimizer, loss=loss,
                        weighted_metrics=weighted_metrics, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "label_names": self.label_names,
                "dropout": self.dropout,
            }
        )
        return config

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """A built-in preset name (random weights) or a preset directory.

        A directory saved from this class gives the whole task (head weights
        and label names) unless `num_classes` is passed; any other preset
        directory (a backbone, an `XLMMaskedLM`/`XLMCausalLM`) gives its
        backbone weights under a new head, which needs `num_classes`.
        """
        return labelled_task_from_preset(cls, preset, load_weights, kwargs)
