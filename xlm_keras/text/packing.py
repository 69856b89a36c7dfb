"""Framing, truncation and padding of piece ids into model inputs.

Pure TensorFlow core ops (no TF Text kernels), so the functions run in
`tf.data`, `tf.function` and SavedModels that TF Serving < 2.20 can load.

Layouts (XLM-R ids `<s>`=0, `<pad>`=1, `</s>`=2):
    single: `start x end`            XLM-R `<s> x </s>`, XLM `</s> x </s>`
    pair:   `start a end sep b end`  XLM-R `<s> a </s></s> b </s>`,
                                     XLM TLM `</s> a </s></s> b </s>`
"""

import keras
import tensorflow as tf

# Sentence frames: XLM `</s> x </s>`, XLM-R `<s> x </s>`.
FRAMES = ("xlm", "roberta")
MODEL_INPUTS = ("token_ids", "padding_mask")


def sentence_frame(frame, tokenizer):
    """`(start_id, end_id)` of a family's sentences: `"xlm"` frames them
    `</s> x </s>`, `"roberta"` (XLM-R) `<s> x </s>`."""
    if frame not in FRAMES:
        raise ValueError(f"`frame` must be one of {FRAMES}. Received: frame={frame!r}")
    start = tokenizer.start_token_id if frame == "roberta" else tokenizer.end_token_id
    return start, tokenizer.end_token_id


def model_inputs(packed, language_ids):
    """The model-input entries of a packed dict: `token_ids`,
    `padding_mask` and, when `language_ids` is true, `language_ids`."""
    names = MODEL_INPUTS + ("language_ids",) * bool(language_ids)
    return {name: packed[name] for name in names}


def pack_text(
    tokenizer,
    text,
    sequence_length,
    frame,
    text_pair=None,
    language_id=None,
    pair_language_id=None,
    reset_positions=False,
    language=None,
    pair_language=None,
):
    """Tokenise and pack sentences (or sentence pairs): the one path from
    text to model inputs, shared by the preprocessors, the pipelines,
    evaluation and the SavedModel signatures.

    Args:
        tokenizer: `XLMTokenizer`.
        text: tf.string [batch]; text_pair: optional tf.string [batch].
        sequence_length: int. Length of every output row.
        frame: `"xlm"` or `"roberta"` (see `sentence_frame`).
        language_id, pair_language_id: optional int scalar or [batch];
            pairs default `pair_language_id` to `language_id`.
        reset_positions: restart positions at the second sentence (TLM).
        language, pair_language: optional tf.string language codes
            ([batch] or one) of `text` and `text_pair` (default `language`),
            which `XLMBPETokenizer` tokenizes by (Moses' rules per language).

    Returns: the dict of `pack_single` / `pack_pair`, int32 [batch, seq].
    """
    start_id, end_id = sentence_frame(frame, tokenizer)
    ids = (sequence_length, start_id, end_id, tokenizer.pad_token_id)
    if text_pair is None:
        return pack_single(tokenizer.tokenize(text, language), *ids, language_id=language_id)
    if pair_language_id is None:
        pair_language_id = language_id
    return pack_pair(
        tokenizer.tokenize(text, language),
        tokenizer.tokenize(text_pair, language if pair_language is None else pair_language),
        *ids,
        first_language_id=language_id,
        second_language_id=pair_language_id,
        reset_positions=reset_positions,
    )


def pack_single(token_ids, sequence_length, start_id, end_id, pad_id, language_id=None):
    """Frame one segment as `start x end`, truncate x to fit, pad.

    Args:
        token_ids: ragged int [batch, None] piece ids without specials, or a
            1-D tensor of one sequence (outputs are then unbatched).
        sequence_length: int. Length of every output row, specials included.
        start_id, end_id, pad_id: int. Frame and padding ids.
        language_id: optional int scalar or [batch]; when given, the output
            has `language_ids` with this id on every real token.

    Returns: dict of int32 [batch, sequence_length]:
        token_ids, padding_mask (1 on real tokens), position_ids (`0 ..` on
        real tokens, 0 on padding) and, with `language_id`, language_ids
        (0 on padding).

    Example:
    >>> pack_single(tf.ragged.constant([[5, 6, 7]]), 4, 0, 2, 1)["token_ids"]
    <tf.Tensor: shape=(1, 4), dtype=int32, numpy=array([[0, 5, 6, 2]], ...)>
    """
    _check_sequence_length(sequence_length, 2, "pack_single")
    token_ids, unbatched = _as_ragged_batch(token_ids, "token_ids")
    token_ids = token_ids[:, : sequence_length - 2]
    framed = _frame(token_ids, start_id, end_id)
    lengths = tf.cast(framed.row_lengths(), tf.int32)
    outputs = _dense_outputs(framed, lengths, sequence_length, pad_id)
    if language_id is not None:
        outputs["language_ids"] = _per_row(language_id) * outputs["padding_mask"]
    return _unbatch(outputs) if unbatched else outputs


def pack_pair(
    first,
    second,
    sequence_length,
    start_id,
    end_id,
    pad_id,
    separator_start_id=None,
    first_language_id=None,
    second_language_id=None,
    reset_positions=False,
):
    """Pack two segments as `start a end` + `sep_start b end`, then pad.

    Truncation is round-robin, which for two segments equals longest-first:
    the longer segment loses tokens first, and when both are too long the
    first keeps `ceil(budget / 2)` pieces and the second `floor(budget / 2)`
    (`budget = sequence_length - 4`). The four specials are always kept.

    Args:
        first, second: ragged int [batch, None] piece ids without specials,
            or 1-D tensors of one pair (outputs are then unbatched).
        sequence_length: int. Length of every output row, specials included.
        start_id, end_id, pad_id: int. Frame and padding ids.
        separator_start_id: int. First token of the second segment;
            defaults to `end_id` (`</s></s>` between the segments).
        first_language_id, second_language_id: optional int scalar or
            [batch], given together; each segment's tokens, its own specials
            included, get its language id (XLM's TLM).
        reset_positions: bool. Restart `position_ids` at 0 on the second
            segment's first token `sep_start` (XLM's TLM); False keeps them
            running (classification pairs).

    Returns: dict of int32 [batch, sequence_length]: token_ids,
        padding_mask, position_ids (0 on padding) and, with language ids,
        language_ids (0 on padding).

    Example:
    >>> a, b = tf.ragged.constant([[5, 6]]), tf.ragged.constant([[7]])
    >>> pack_pair(a, b, 8, 2, 2, 1, reset_positions=True)["position_ids"]
    <tf.Tensor: ... numpy=array([[0, 1, 2, 3, 0, 1, 2, 0]], ...)>
    """
    _check_sequence_length(sequence_length, 4, "pack_pair")
    if (first_language_id is None) != (second_language_id is None):
        raise ValueError(
            "Give both `first_language_id` and `second_language_id`, or "
            f"neither. Received: first_language_id={first_language_id!r}, "
            f"second_language_id={second_language_id!r}"
        )
    first, unbatched = _as_ragged_batch(first, "first")
    second, _ = _as_ragged_batch(second, "second")
    if separator_start_id is None:
        separator_start_id = end_id

    budget = sequence_length - 4
    first_length = tf.cast(first.row_lengths(), tf.int32)
    second_length = tf.cast(second.row_lengths(), tf.int32)
    keep_first = tf.minimum(first_length, tf.maximum((budget + 1) // 2, budget - second_length))
    keep_second = tf.minimum(second_length, budget - keep_first)
    first = _frame(_head(first, keep_first), start_id, end_id)
    second = _frame(_head(second, keep_second), separator_start_id, end_id)

    first_end = keep_first + 2
    outputs = _dense_outputs(
        tf.concat([first, second], axis=1), first_end + keep_second + 2, sequence_length, pad_id
    )
    in_second = tf.range(sequence_length)[tf.newaxis] >= first_end[:, tf.newaxis]
    if reset_positions:
        outputs["position_ids"] -= tf.where(in_second, first_end[:, tf.newaxis], 0)
        outputs["position_ids"] *= outputs["padding_mask"]
    if first_language_id is not None:
        languages = tf.where(in_second, _per_row(second_language_id), _per_row(first_language_id))
        outputs["language_ids"] = languages * outputs["padding_mask"]
    return _unbatch(outputs) if unbatched else outputs


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMPacker(keras.layers.Layer):
    """`pack_single` / `pack_pair` as a layer, for models and SavedModels.

    Args:
        sequence_length, start_id, end_id, pad_id, separator_start_id,
        reset_positions: as in `pack_pair` (`pack_single` uses the first four).

    Call arguments:
        inputs: ragged int [batch, None] (one segment) or a tuple
            `(first, second)` of them.
        language_id: optional int scalar or [batch]; for pairs a tuple
            `(first_language_id, second_language_id)`.

    Returns: the dict of `pack_single` / `pack_pair`.

    Example:
    >>> packer = XLMPacker(sequence_length=6, start_id=0, end_id=2, pad_id=1)
    >>> packer(tf.ragged.constant([[5, 6]]))["token_ids"]
    <tf.Tensor: ... numpy=array([[0, 5, 6, 2, 1, 1]], ...)>
    """

    def __init__(
        self,
        sequence_length,
        start_id,
        end_id,
        pad_id,
        separator_start_id=None,
        reset_positions=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # Ragged inputs stay tf.RaggedTensor (keras-hub's preprocessing layers
        # do the same).
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.sequence_length = sequence_length
        self.start_id = start_id
        self.end_id = end_id
        self.pad_id = pad_id
        self.separator_start_id = separator_start_id
        self.reset_positions = reset_positions
        self.built = True

    def call(self, inputs, language_id=None):
        ids = (self.sequence_length, self.start_id, self.end_id, self.pad_id)
        if not isinstance(inputs, (tuple, list)):
            return pack_single(inputs, *ids, language_id=language_id)
        first_language_id, second_language_id = language_id or (None, None)
        return pack_pair(
            *inputs,
            *ids,
            separator_start_id=self.separator_start_id,
            first_language_id=first_language_id,
            second_language_id=second_language_id,
            reset_positions=self.reset_positions,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "start_id": self.start_id,
                "end_id": self.end_id,
                "pad_id": self.pad_id,
                "separator_start_id": self.separator_start_id,
                "reset_positions": self.reset_positions,
            }
        )
        return config


def _check_sequence_length(sequence_length, minimum, caller):
    if not isinstance(sequence_length, int) or sequence_length < minimum:
        raise ValueError(
            f"`{caller}` needs an int `sequence_length` >= {minimum} (room "
            f"for its {minimum} special tokens). Received: "
            f"sequence_length={sequence_length!r}"
        )


def _as_ragged_batch(token_ids, name):
    """Ragged int32 [batch, None] and whether the input was one sequence."""
    if isinstance(token_ids, tf.RaggedTensor):
        if token_ids.shape.rank != 2:
            raise ValueError(
                f"`{name}` must be a ragged [batch, None] tensor of piece ids. "
                f"Received: shape={token_ids.shape}. Tokenise one sentence "
                "per row (merge word pieces with `.merge_dims(1, -1)`)."
            )
        return tf.cast(token_ids.with_row_splits_dtype(tf.int64), tf.int32), False
    token_ids = tf.convert_to_tensor(token_ids)
    if token_ids.shape.rank != 1:
        raise ValueError(
            f"`{name}` must be a tf.RaggedTensor [batch, None] or a 1-D tensor "
            f"of one sequence. Received: a dense tensor of shape "
            f"{token_ids.shape}. For a padded dense batch, pass "
            "`tf.RaggedTensor.from_tensor(x, padding=pad_id)`."
        )
    return tf.RaggedTensor.from_tensor(tf.cast(token_ids, tf.int32)[tf.newaxis]), True


def _head(token_ids, lengths):
    """The first `lengths[i]` pieces of row i; ragged [batch, None]."""
    return tf.gather(token_ids, tf.ragged.range(lengths), batch_dims=1)


def _frame(token_ids, start_id, end_id):
    column = tf.ones([token_ids.nrows(), 1], tf.int32)
    return tf.concat([column * start_id, token_ids, column * end_id], axis=1)


def _dense_outputs(framed, lengths, sequence_length, pad_id):
    """token_ids, padding_mask and running position_ids, each [batch, seq]."""
    padding_mask = tf.sequence_mask(lengths, sequence_length, tf.int32)
    return {
        "token_ids": framed.to_tensor(pad_id, shape=[None, sequence_length]),
        "padding_mask": padding_mask,
        "position_ids": tf.range(sequence_length)[tf.newaxis] * padding_mask,
    }


def _per_row(language_id):
    """Scalar or [batch] language id as int32 [1 or batch, 1]."""
    return tf.reshape(tf.cast(language_id, tf.int32), [-1, 1])


def _unbatch(outputs):
    return {name: value[0] for name, value in outputs.items()}
