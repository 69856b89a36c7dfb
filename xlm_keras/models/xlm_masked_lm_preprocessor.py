"""`XLMMaskedLMPreprocessor`: text (MLM) and translation pairs (TLM) to
masked inputs, and text with literal `<mask>`s to fill-mask inputs."""

import keras
import tensorflow as tf
from keras_hub.models import MaskedLMPreprocessor

from xlm_keras.keras_hub_internals import preprocessing_function
from xlm_keras.models.xlm_preprocessor import XLMPreprocessor
from xlm_keras.models.xlm_preprocessor import item_languages
from xlm_keras.models.xlm_tokenizer import MASK_TOKEN
from xlm_keras.text.masking import mask_tokens
from xlm_keras.text.packing import pack_single
from xlm_keras.text.packing import sentence_frame

# `mask_positions` value on rows with fewer `<mask>`s than the batch's most.
MASK_POSITION_PADDING = -1


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMMaskedLMPreprocessor(XLMPreprocessor, MaskedLMPreprocessor):
    """Pack text, then choose and corrupt MLM targets (`masking.mask_tokens`:
    15 % of the real non-special tokens, 80/10/10 mask/random/keep).

    A pair (`text` + `text_pair`, with `language` and `language_pair`) is
    packed as XLM's TLM: each sentence its own language id, positions
    restarting at the second sentence.

    Args:
        tokenizer, sequence_length, frame, use_language_ids: as
            `XLMPreprocessor`.
        mask_rate: float. Share of candidate tokens that become targets.
        replace_with_mask, replace_with_random: shares of the targets.
        seed: None (fresh masks on every call) or int [2]: the same masks
            for the same inputs.

    Call arguments:
        x: strings [batch], or a dict with `text` (+ `text_pair`),
            `language` (+ `language_pair`).
        y, sample_weight: must be None (the targets are the labels).

    Returns: `(x, labels, sample_weight)`: x as the model takes it
    (`token_ids`, `padding_mask`, `position_ids`, `mask_positions`
    [batch, targets], `language_ids` when the model takes them), labels int32
    [batch, targets], sample_weight float32 [batch, targets].

    Example:
    >>> preprocessor = XLMMaskedLMPreprocessor.from_preset("runs/mlm/preset")
    >>> x, labels, weights = preprocessor({"text": ["Guten Tag"], "language": "de"})
    """

    def __init__(
        self,
        tokenizer,
        sequence_length=512,
        frame="xlm",
        use_language_ids=False,
        mask_rate=0.15,
        replace_with_mask=0.8,
        replace_with_random=0.1,
        seed=None,
        **kwargs,
    ):
        super().__init__(tokenizer, sequence_length, frame, use_language_ids, **kwargs)
        self.mask_rate = mask_rate
        self.replace_with_mask = replace_with_mask
        self.replace_with_random = replace_with_random
        self.seed = seed

    @preprocessing_function
    def call(self, x, y=None, sample_weight=None):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "XLMMaskedLMPreprocessor makes its own labels (the masked tokens); pass text only."
            )
        pair_language = x.get("language_pair") if isinstance(x, dict) else None
        if isinstance(x, dict):
            x = {k: v for k, v in x.items() if k != "language_pair"}
        text, text_pair, language = self.split_inputs(x)
        packed = self.pack(
            text,
            text_pair,
            language,
            reset_positions=text_pair is not None,
            pair_language=pair_language,
        )
        return self.mask(packed)

    def mask(self, packed, seed=None, token_weights=None):
        """`masking.mask_tokens` of a packed dict with this preprocessor's
        rates: `(x, labels, sample_weight)`."""
        return mask_tokens(
            packed,
            **self.tokenizer.masking_ids(),
            mask_rate=self.mask_rate,
            replace_with_mask=self.replace_with_mask,
            replace_with_random=self.replace_with_random,
            token_weights=token_weights,
            seed=self.seed if seed is None else seed,
        )

    @preprocessing_function
    def fill_mask_inputs(self, x):
        """Text with literal `<mask>`s -> model inputs (`token_ids`,
        `padding_mask`, `language_ids` when taken) and `mask_positions`
        int32 [batch, masks]: the row's `<mask>` positions, padded with
        `MASK_POSITION_PADDING` (and none where truncation cut them)."""
        text, _, language = self.split_inputs(x)
        text = tf.convert_to_tensor(text, tf.string)
        tokenizer = self.tokenizer
        # The pieces between masks, joined with the mask id: the same for
        # both id conventions (only "native" has a `<mask>` piece).
        pieces = tf.strings.split(text, sep=MASK_TOKEN)
        piece_ids = tokenizer.tokenize(
            pieces.flat_values, item_languages(language, tf.shape(text)[0], pieces.value_rowids())
        )
        mask_ids = tf.fill([piece_ids.nrows(), 1], tf.constant(tokenizer.mask_token_id, tf.int32))
        piece_ids = tf.concat([piece_ids, tf.RaggedTensor.from_tensor(mask_ids)], axis=1)
        ids = tf.RaggedTensor.from_row_splits(piece_ids, pieces.row_splits).merge_dims(1, 2)
        start_id, end_id = sentence_frame(self.frame, tokenizer)
        packed = pack_single(
            ids[:, :-1],
            self.sequence_length,
            start_id,
            end_id,
            tokenizer.pad_token_id,
            language_id=self.language_ids(text, language),
        )
        inputs = self.model_inputs(packed)
        token_ids = inputs["token_ids"]
        is_mask = (token_ids == tokenizer.mask_token_id) & (inputs["padding_mask"] > 0)
        columns = tf.broadcast_to(tf.range(tf.shape(token_ids)[1]), tf.shape(token_ids))
        inputs["mask_positions"] = tf.ragged.boolean_mask(columns, is_mask).to_tensor(
            MASK_POSITION_PADDING
        )
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mask_rate": self.mask_rate,
                "replace_with_mask": self.replace_with_mask,
                "replace_with_random": self.replace_with_random,
                "seed": self.seed,
            }
        )
        return config
