"""`XLMTextClassifier`: sentence and sentence-pair classification."""

import keras
from keras import ops
from keras_hub.models import TextClassifier

from xlm_keras.inference.sliced_predict import model_outputs
from xlm_keras.inference.sliced_predict import sliced_predict
from xlm_keras.layers.language_centering import LanguageCentering
from xlm_keras.models.xlm_backbone import complete_inputs
from xlm_keras.models.xlm_backbone import xlm_kernel_initializer
from xlm_keras.models.xlm_task import LabelledTask
from xlm_keras.models.xlm_task import check_label_names
from xlm_keras.models.xlm_task import fine_tuning_compile_defaults
from xlm_keras.models.xlm_task import is_raw
from xlm_keras.models.xlm_task import output_layers
from xlm_keras.models.xlm_task import resolve_head
from xlm_keras.models.xlm_text_classifier_preprocessor import XLMTextClassifierPreprocessor

POOLINGS = ("first", "mean")


def pool(hidden, padding_mask, pooling):
    """float [batch, hidden_dim]: the first token's state (`"first"`) or the
    mean of the real tokens' states (`"mean"`) of `hidden` [batch, seq, hidden_dim]."""
    if pooling == "first":
        return hidden[:, 0, :]
    if pooling != "mean":
        raise ValueError(f"`pooling` must be one of {POOLINGS}. Received: pooling={pooling!r}")
    mask = ops.expand_dims(ops.cast(padding_mask, hidden.dtype), -1)
    return ops.sum(hidden * mask, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1)


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMTextClassifier(LabelledTask, TextClassifier):
    """Classify a sentence or a sentence pair from its first token (or the
    mean of its tokens).

    With a preprocessor (`from_preset` of a directory with a tokenizer)
    `fit`/`predict`/`evaluate` take raw strings, `(text, text_pair)` pairs
    or `{"text", "text_pair", "language"}` dicts; without one
    (`preprocessor=None`) they take packed ids.

    Args:
        backbone: `XLMBackbone`.
        num_classes: int >= 1. Number of labels.
        label_names: list of `num_classes` unique strings, the label of each
            class index; default `["0", "1", ...]`. Saved with the task.
        head: `"xlm"` (Hugging Face `XLMForSequenceClassification`: first
            token -> dropout -> dense), `"roberta"`
            (`XLMRobertaForSequenceClassification`: first token -> dropout
            -> dense tanh -> dropout -> dense) or `"auto"` (`"roberta"` when
            the backbone offsets positions like XLM-R, else `"xlm"`).
        pooling: `"first"` (both published heads: the first token's final
            state) or `"mean"` (the mean over real tokens, which often
            transfers better across languages from weakly aligned encoders).
        language_centering: bool, or the number of languages (int). Add
            `LanguageCentering` after pooling (a non-trained per-language
            shift, zero until `center_languages` sets it), with a row per
            language id: the backbone's `num_languages` (True), or the
            given number (a backbone without language embeddings centers
            the tokenizer's languages); the model then takes
            `language_ids` even when the backbone has no language
            embeddings.
        dropout: float. Dropout rate in the head.
        preprocessor: optional `XLMTextClassifierPreprocessor`.

    Inputs (dict): the backbone's inputs (`token_ids`, `padding_mask`,
    optional `position_ids`, and `language_ids` exactly when the backbone
    has language embeddings or `language_centering` is on).

    Output: logits float32 [batch, num_classes]. Train with labels int
    [batch].

    Example:
    >>> classifier = XLMTextClassifier.from_preset(
    ...     "xlm_roberta_tiny", num_classes=3,
    ...     label_names=["entailment", "neutral", "contradiction"])
    >>> ids = np.array([[0, 5, 6, 2]], "int32")
    >>> classifier({"token_ids": ids, "padding_mask": ids > -1}).shape
    TensorShape([1, 3])
    >>> classifier = XLMTextClassifier.from_preset("runs/ft/preset")
    >>> logits = classifier.predict({"text": ["Das ist gut."], "language": ["de"]})
    """

    preprocessor_cls = XLMTextClassifierPreprocessor

    def __init__(
        self,
        backbone,
        num_classes,
        label_names=None,
        head="auto",
        pooling="first",
        language_centering=False,
        dropout=0.1,
        preprocessor=None,
        **kwargs,
    ):
        label_names = check_label_names(num_classes, label_names)
        head = resolve_head(head, backbone)

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.pooled_dropout = None
        self.pooled_dense = None
        if head == "roberta":
            self.pooled_dropout = keras.layers.Dropout(
                dropout, dtype=backbone.dtype_policy, name="pooled_dropout"
            )
            self.pooled_dense = keras.layers.Dense(
                backbone.hidden_dim,
                activation="tanh",
                kernel_initializer=xlm_kernel_initializer(),
                dtype=backbone.dtype_policy,
                name="pooled_dense",
            )
        self.centering = None
        if language_centering:
            self.centering = LanguageCentering(
                backbone.num_languages if language_centering is True else language_centering,
                dtype=backbone.dtype_policy,
                name="language_centering",
            )
        self.output_dropout, self.output_dense = output_layers(backbone, num_classes, dropout)

        # === Functional Model ===
        inputs = dict(backbone.input)
        if language_centering and "language_ids" not in inputs:
            inputs["language_ids"] = keras.Input(shape=(None,), dtype="int32", name="language_ids")
        x = pool(backbone({k: inputs[k] for k in backbone.input}), inputs["padding_mask"], pooling)
        outputs = self._classify(x, inputs)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.num_classes = int(num_classes)
        self.label_names = label_names
        self.head = head
        self.pooling = pooling
        self.language_centering = (
            language_centering if isinstance(language_centering, bool) else int(language_centering)
        )
        self.dropout = dropout
        self.configure_preprocessor()

    def call(self, inputs, training=None, mask=None):
        """The functional graph's logits; with `pooling="first"` the
        backbone's last block computes only the first position
        (`XLMBackbone.sequence_output_at`)."""
        if self.pooling != "first":
            return super().call(inputs, training=training, mask=mask)
        backbone_inputs = {k: inputs[k] for k in self.backbone.input if k in inputs}
        first = ops.zeros_like(ops.cast(inputs["token_ids"][:, :1], "int32"))
        hidden = self.backbone.sequence_output_at(backbone_inputs, first, training)
        return self._classify(hidden[:, 0, :], inputs, training)

    def _classify(self, pooled, inputs, training=None):
        """float32 [batch, num_classes] logits of the pooled states [batch, hidden]."""
        x = pooled
        if self.centering is not None:
            x = self.centering(x, inputs["language_ids"])
        if self.pooled_dense is not None:
            x = self.pooled_dense(self.pooled_dropout(x, training=training))
        return ops.cast(self.output_dense(self.output_dropout(x, training=training)), "float32")

    def predict(self, x, batch_size=32, **kwargs):
        """Raw text (strings, `(text, text_pair)`, or a dict with `text`,
        `text_pair`, `language`) with a preprocessor: logits float32
        [batch, num_classes], the rows run in length-sorted slices
        (`sliced_predict`) instead of padded to `sequence_length`. Packed
        inputs or a `tf.data.Dataset`: `keras.Model.predict`."""
        if self.preprocessor is None or not is_raw(x):
            return super().predict(x, batch_size=batch_size, **kwargs)
        self.preprocessor.check_inputs(x, "x")
        packed = self.preprocessor.pack(*self.preprocessor.split_inputs(x))
        return sliced_predict(
            self, model_outputs, self.preprocessor.model_inputs(packed), batch_size
        )

    def pooled(self, inputs):
        """float32 [batch, hidden]: the pooled vectors before centering."""
        inputs = complete_inputs(self, inputs)
        hidden = self.backbone({k: inputs[k] for k in self.backbone.input}, training=False)
        return ops.cast(pool(hidden, inputs["padding_mask"], self.pooling), "float32")

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        """`keras.Model.compile` with defaults: AdamW (2e-5), cross-entropy
        on logits, accuracy."""
        optimizer, loss, metrics = fine_tuning_compile_defaults(optimizer, loss, metrics)
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "label_names": self.label_names,
                "head": self.head,
                "pooling": self.pooling,
                "language_centering": self.language_centering,
                "dropout": self.dropout,
            }
        )
        return config
