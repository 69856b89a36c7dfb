"""`XLMSpanQA`: extractive question answering (answer span start/end)."""

import keras
import tensorflow as tf
from keras import ops
from keras_hub.models import Task

from xlm_keras.models.xlm_backbone import xlm_kernel_initializer
from xlm_keras.models.xlm_span_qa_preprocessor import XLMSpanQAPreprocessor
from xlm_keras.models.xlm_span_qa_preprocessor import decode_answers
from xlm_keras.models.xlm_task import XLMTask
from xlm_keras.models.xlm_task import fine_tuning_compile_defaults
from xlm_keras.models.xlm_task import is_raw

# Logit of padding positions: exp() of it is 0 even in float32 softmax.
PADDING_LOGIT = -1e9


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMSpanQA(XLMTask, Task):
    """Predict the start and end token of an answer span: one dense layer
    with two outputs on every hidden state, as in Hugging Face
    `XLMForQuestionAnsweringSimple` / `XLMRobertaForQuestionAnswering`.

    With a preprocessor (`XLMSpanQAPreprocessor`) `predict` takes
    `{"question", "context"}` strings and returns answer strings from the
    contexts; `fit` takes windows' labels from `answer_start`/`answer`.

    Args:
        backbone: `XLMBackbone`.
        preprocessor: optional `XLMSpanQAPreprocessor`.

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
    >>> qa = XLMSpanQA.from_preset("runs/qa/preset")
    >>> qa.predict({"question": ["Wo liegt Köln?"], "context": ["Köln liegt am Rhein."]})
    """

    preprocessor_cls = XLMSpanQAPreprocessor

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
        self.configure_preprocessor()

    def predict(self, x, batch_size=32, max_answer_length=30, **kwargs):
        """`{"question", "context"}` strings (and `language`) with a
        preprocessor: the best answer of each row (str, "" when no window
        has a span), over all its windows. Packed inputs or a
        `tf.data.Dataset`: the logits, as `keras.Model.predict`."""
        if self.preprocessor is None or not is_raw(x):
            return super().predict(x, batch_size=batch_size, **kwargs)
        self.preprocessor.check_inputs(x, "x")
        windows = self.preprocessor.windows(x)
        logits = self.packed_predict(windows["x"], batch_size)
        contexts = [c.numpy() for c in tf.reshape(tf.convert_to_tensor(x["context"]), [-1])]
        return decode_answers(
            windows["example_index"].numpy(),
            windows["byte_spans"].numpy(),
            logits,
            contexts,
            max_answer_length,
        )

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        """`keras.Model.compile` with defaults: AdamW (2e-5), cross-entropy
        on logits, accuracy of start and end positions."""
        optimizer, loss, metrics = fine_tuning_compile_defaults(optimizer, loss, metrics)
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)
