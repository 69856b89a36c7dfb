"""`XLMCausalLMPreprocessor`: text to CLM inputs and labels; prompts to
generation inputs and generated ids back to text."""

import keras
import tensorflow as tf
from keras_hub.models import CausalLMPreprocessor

from xlm_keras.keras_hub_internals import preprocessing_function
from xlm_keras.models.xlm_preprocessor import XLMPreprocessor


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMCausalLMPreprocessor(XLMPreprocessor, CausalLMPreprocessor):
    """Frame each text (`</s> x </s>` for XLM) and shift it: token `t + 1`
    is the label of position `t`.

    Args: as `XLMPreprocessor`.

    Call arguments:
        x: strings [batch] or a dict with `text` and `language`.
        y, sample_weight: must be None.

    Returns: `(x, labels, sample_weight)`: x int32 [batch, sequence_length]
    (`token_ids`, `padding_mask`, `language_ids` when taken), labels the
    next ids, sample_weight 1 where a real token is predicted.

    Example:
    >>> preprocessor = XLMCausalLMPreprocessor.from_preset("runs/clm/preset")
    >>> x, labels, weights = preprocessor({"text": ["Bonjour"], "language": "fr"})
    """

    @preprocessing_function
    def call(self, x, y=None, sample_weight=None):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "XLMCausalLMPreprocessor makes its own labels (the next tokens); pass text only."
            )
        text, _, language = self.split_inputs(x)
        packed = self.model_inputs(
            self.pack(text, language=language, sequence_length=self.sequence_length + 1)
        )
        inputs = {name: value[:, :-1] for name, value in packed.items()}
        labels = packed["token_ids"][:, 1:]
        weights = tf.cast(packed["padding_mask"][:, 1:], tf.float32)
        return inputs, labels, weights

    @preprocessing_function
    def generate_preprocess(self, x, sequence_length=None):
        """Prompts -> `token_ids`, `padding_mask` (+ `language_ids`) int32
        [batch, sequence_length]: the framed prompt without its end token,
        right-padded; generation fills the padding."""
        text, _, language = self.split_inputs(x)
        length = sequence_length or self.sequence_length
        packed = self.model_inputs(self.pack(text, language=language, sequence_length=length + 1))
        lengths = tf.reduce_sum(packed["padding_mask"], axis=1, keepdims=True)
        is_end = tf.range(length + 1)[tf.newaxis] == lengths - 1
        packed["token_ids"] = tf.where(is_end, self.tokenizer.pad_token_id, packed["token_ids"])
        packed = {
            name: tf.where(is_end, 0, value) if name != "token_ids" else value
            for name, value in packed.items()
        }
        if "language_ids" in packed:
            # Generated positions take the prompt's language.
            packed["language_ids"] = tf.broadcast_to(
                packed["language_ids"][:, :1], tf.shape(packed["language_ids"])
            )
        return {name: value[:, :length] for name, value in packed.items()}

    @preprocessing_function
    def generate_postprocess(self, x):
        """Generated `token_ids` and `padding_mask` -> tf.string [batch]
        (special tokens dropped)."""
        ids = tf.ragged.boolean_mask(x["token_ids"], tf.cast(x["padding_mask"], tf.bool))
        return self.tokenizer.detokenize(ids)
