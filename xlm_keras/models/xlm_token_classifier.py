"""`XLMTokenClassifier`: one label per token (NER, POS tagging)."""

import keras
from keras import ops
from keras_hub.models import Task

from xlm_keras.inference.sliced_predict import model_outputs
from xlm_keras.inference.sliced_predict import sliced_predict
from xlm_keras.models.xlm_task import LabelledTask
from xlm_keras.models.xlm_task import check_label_names
from xlm_keras.models.xlm_task import fine_tuning_compile_defaults
from xlm_keras.models.xlm_task import is_raw
from xlm_keras.models.xlm_task import output_layers
from xlm_keras.models.xlm_token_classifier_preprocessor import XLMTokenClassifierPreprocessor


def unplaced_tag_id(label_names):
    """The tag id of words cut by truncation: "O", or the first label."""
    return label_names.index("O") if "O" in label_names else 0


def word_tags(tag_ids, word_positions, word_counts, label_names):
    """Tag names per word from per-token predictions.

    Args:
        tag_ids: int [batch, seq], the predicted tag of each token.
        word_positions: int [batch, W], each word's first piece (-1: cut).
        word_counts: int [batch], the words of each row.
        label_names: list of tag names.

    Returns: per row, the tag name of each word (`unplaced_tag_id`'s for
    words cut by truncation).
    """
    unplaced = unplaced_tag_id(label_names)
    return [
        [label_names[tag_ids[row, p] if p >= 0 else unplaced] for p in word_positions[row, :count]]
        for row, count in enumerate(word_counts)
    ]


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMTokenClassifier(LabelledTask, Task):
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
        preprocessor: optional `XLMTokenClassifierPreprocessor`: `fit` then
            takes words and word tags, `predict` words or sentences and
            returns each word's tag name.

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
    >>> tagger = XLMTokenClassifier.from_preset("runs/ner/preset")
    >>> tagger.predict(["Anna wohnt in Köln"])  # [["B-PER", "O", "O", "B-LOC"]]
    """

    preprocessor_cls = XLMTokenClassifierPreprocessor

    def __init__(
        self, backbone, num_classes, label_names=None, dropout=0.1, preprocessor=None, **kwargs
    ):
        label_names = check_label_names(num_classes, label_names)

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.output_dropout, self.output_dense = output_layers(backbone, num_classes, dropout)

        # === Functional Model ===
        inputs = dict(backbone.input)
        x = self.output_dropout(backbone(inputs))
        outputs = ops.cast(self.output_dense(x), "float32")
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.num_classes = int(num_classes)
        self.label_names = label_names
        self.dropout = dropout
        self.configure_preprocessor()

    def predict(self, x, batch_size=32, **kwargs):
        """Raw words or sentences (or a dict with `text` and `language`)
        with a preprocessor: list of each word's tag name per row; a word
        cut by truncation gets "O" (or the first label). Rows run in
        length-sorted slices (`sliced_predict`). Packed inputs or a
        `tf.data.Dataset`: the logits, as `keras.Model.predict`."""
        if self.preprocessor is None or not is_raw(x):
            return super().predict(x, batch_size=batch_size, **kwargs)
        self.preprocessor.check_inputs(x, "x")
        text, _, language = self.preprocessor.split_inputs(x)
        words = self.preprocessor.words(text)
        inputs, positions = self.preprocessor.pack_words(words, language)
        tag_ids = sliced_predict(self, model_outputs, inputs, batch_size, per_token=True).argmax(-1)
        return word_tags(tag_ids, positions.numpy(), words.row_lengths().numpy(), self.label_names)

    def compile(self, optimizer="auto", loss="auto", *, weighted_metrics="auto", **kwargs):
        """`keras.Model.compile` with defaults: AdamW (2e-5), cross-entropy
        on logits, weighted accuracy (pass `sample_weight` to skip padding)."""
        optimizer, loss, weighted_metrics = fine_tuning_compile_defaults(
            optimizer, loss, weighted_metrics
        )
        super().compile(optimizer=optimizer, loss=loss, weighted_metrics=weighted_metrics, **kwargs)

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
