"""`XLMMaskedLM`: the MLM / TLM pretraining task."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from keras_hub.models import MaskedLM

from xlm_keras.models import presets
from xlm_keras.models.checks import check_int
from xlm_keras.models.xlm_masked_lm_preprocessor import MASK_POSITION_PADDING
from xlm_keras.models.xlm_masked_lm_preprocessor import XLMMaskedLMPreprocessor
from xlm_keras.models.xlm_task import XLMTask
from xlm_keras.models.xlm_task import lm_head_layer
from xlm_keras.models.xlm_task import resolve_head


def filling_probabilities(logits, special_token_ids):
    """float32 [..., vocabulary_size]: the softmax of mask logits over the
    tokens that can fill a mask; special tokens (`<s>`, `<pad>`, `</s>`,
    `<unk>`, `<mask>`) get probability 0. `fill_mask` and the served
    `fill_mask` both rank by it."""
    logits = tf.cast(logits, tf.float32)
    is_special = tf.scatter_nd(
        tf.constant(special_token_ids, tf.int32)[:, tf.newaxis],
        tf.ones([len(special_token_ids)], tf.bool),
        tf.shape(logits)[-1:],
    )
    return tf.nn.softmax(tf.where(is_special, float("-inf"), logits), axis=-1)


def fillings(tokenizer):
    """How many tokens can fill a mask: the vocabulary less its specials."""
    return tokenizer.vocabulary_size() - len(tokenizer.special_token_ids)


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMMaskedLM(XLMTask, MaskedLM):
    """Masked language model (MLM, and TLM on concatenated pairs).

    Logits are computed only at `mask_positions`, so the vocabulary
    projection costs `targets` rows rather than `seq` rows; and so is the
    last block's output (`XLMBackbone.sequence_output_at`): its queries,
    output projection and feed-forward run on the targets alone.

    Args:
        backbone: `XLMBackbone`.
        lm_head: `"xlm"` (XLM's `pred_layer`: tied embeddings + bias),
            `"roberta"` (XLM-R's dense -> GELU -> LayerNorm -> tied + bias,
            keras-hub's `MaskedLMHead`) or `"auto"` (`"roberta"` when the
            backbone offsets positions like XLM-R, else `"xlm"`).
        preprocessor: optional `XLMMaskedLMPreprocessor`: `fit` then takes
            raw text (MLM) or translation pairs (TLM) and masks it, and
            `fill_mask` fills literal `<mask>`s.

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
    >>> mlm = XLMMaskedLM.from_preset("runs/mlm/preset")
    >>> mlm.fill_mask({"text": ["Paris est la <mask> de la France."], "language": "fr"})
    """

    preprocessor_cls = XLMMaskedLMPreprocessor

    def __init__(self, backbone, lm_head="auto", preprocessor=None, **kwargs):
        lm_head = resolve_head(lm_head, backbone, "lm_head")

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.masked_lm_head = lm_head_layer(lm_head, backbone, "mlm_head")

        # === Functional Model ===
        inputs = {
            **backbone.input,
            "mask_positions": keras.Input((None,), dtype="int32", name="mask_positions"),
        }
        backbone_inputs = {k: v for k, v in inputs.items() if k != "mask_positions"}
        sequence_output = backbone(backbone_inputs)
        outputs = self.masked_lm_head(sequence_output, mask_positions=inputs["mask_positions"])
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.lm_head = lm_head
        self.configure_preprocessor()

    def call(self, inputs, training=None, mask=None):
        """The functional graph's logits, with the backbone's output computed
        only at `mask_positions` (the head then runs on every row it gets)."""
        backbone_inputs = {k: v for k, v in inputs.items() if k != "mask_positions"}
        positions = ops.cast(inputs["mask_positions"], "int32")
        sequence_output = self.backbone.sequence_output_at(backbone_inputs, positions, training)
        return self.masked_lm_head(sequence_output, training=training)

    def fill_mask(self, x, top_k=5, batch_size=32):
        """The `top_k` most likely tokens at every `<mask>` of raw text.

        Args:
            x: text with literal `<mask>`s, tf.string [batch] (or a dict
                with `text` and `language`).
            top_k: int >= 1. Predictions per mask (at most the number of
                non-special tokens: special tokens are never proposed).

        Returns: per row, per `<mask>` (in order; masks cut by truncation
        are left out), a list of `top_k` `(token, probability)` pairs, the
        probabilities over the non-special tokens.
        """
        if self.preprocessor is None:
            raise ValueError("fill_mask needs a preprocessor (a preset with a tokenizer).")
        self.preprocessor.check_inputs(x, "x", allow_scalar=False)
        tokenizer = self.preprocessor.tokenizer
        top_k = min(check_int(top_k, "top_k", 1), fillings(tokenizer))
        inputs = self.preprocessor.fill_mask_inputs(x)
        positions = inputs["mask_positions"].numpy()
        if positions.size == 0:
            return [[] for _ in positions]
        inputs["mask_positions"] = tf.maximum(inputs["mask_positions"], 0)
        probabilities = filling_probabilities(
            self.packed_predict(inputs, batch_size), tokenizer.special_token_ids
        ).numpy()
        results = []
        for row, row_positions in enumerate(positions):
            results.append([])
            for column in np.flatnonzero(row_positions != MASK_POSITION_PADDING):
                best = np.argsort(-probabilities[row, column])[:top_k]
                results[-1].append(
                    [
                        (tokenizer.id_to_token(int(i)), float(probabilities[row, column, i]))
                        for i in best
                    ]
                )
        return results

    def get_config(self):
        config = super().get_config()
        config["lm_head"] = self.lm_head
        return config

    @classmethod
    def builtin_kwargs(cls, preset, kwargs):
        return {"lm_head": presets.lm_head(preset), **kwargs}
