"""`XLMTextClassifierPreprocessor`: sentences and pairs to classifier inputs."""

import keras
from keras_hub.models import TextClassifierPreprocessor

from xlm_keras.keras_hub_internals import preprocessing_function
from xlm_keras.models.xlm_preprocessor import XLMPreprocessor


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMTextClassifierPreprocessor(XLMPreprocessor, TextClassifierPreprocessor):
    """Tokenise and pack single texts or pairs for `XLMTextClassifier`.

    Pairs are packed `start a end end b end` with running positions,
    truncated longest-first (`packing.pack_pair`, core TF ops only).

    Args: as `XLMPreprocessor` (`tokenizer`, `sequence_length`, `frame`,
    `use_language_ids`).

    Call arguments:
        x: strings [batch], a `(text, text_pair)` tuple, or a dict with
            `text`, `text_pair`, `language` (see `xlm_preprocessor`).
        y, sample_weight: passed through.

    Returns: `x` dict of int32 [batch, sequence_length] (`token_ids`,
    `padding_mask`, `language_ids` when the model takes them), or
    `(x, y[, sample_weight])`.

    Example:
    >>> preprocessor = XLMTextClassifierPreprocessor.from_preset("runs/ft/preset")
    >>> preprocessor({"text": ["Das ist gut."], "language": "de"})["token_ids"].shape
    TensorShape([1, 128])
    """

    @preprocessing_function
    def call(self, x, y=None, sample_weight=None):
        text, text_pair, language = self.split_inputs(x)
        packed = self.pack(text, text_pair, language)
        return keras.utils.pack_x_y_sample_weight(self.model_inputs(packed), y, sample_weight)
