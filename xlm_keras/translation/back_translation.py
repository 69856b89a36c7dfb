"""Online back-translation (XLM's `bt` steps): translate a monolingual batch
with the current weights, then learn to translate it back."""

import tensorflow as tf
from keras_hub.samplers import GreedySampler


def back_translate(model, x, language_ids, max_length, end_token_id, pad_token_id):
    """Replace the source side of a monolingual batch by its greedy
    translation into another language.

    The batch holds sentences in l1 on both sides (as
    `XLMSeq2SeqLMPreprocessor` packs `{source: s, target: s}`); the result
    keeps the l1 decoder side and labels and puts the model's own l2
    translation of `s` on the encoder side: a training step on it learns
    l2 -> l1 from synthetic sources. Generation runs in inference mode with
    the current weights; its output is integer ids, so no gradient flows
    through it. Graph-safe: it runs inside the compiled training step.

    Args:
        model: `XLMSeq2SeqLM`.
        x: its inputs for the monolingual batch; `decoder_token_ids` start
            with the family's start token, which also starts generation.
        language_ids: int32 [batch], l2 (used when the model has language
            embeddings).
        max_length: int. Longest translation, frame included.
        end_token_id, pad_token_id: int, the tokenizer's `</s>` and `<pad>`.

    Returns: `x` with `encoder_token_ids`, `encoder_padding_mask` int32
    [batch, max_length] (and `encoder_language_ids`) of the translations.
    """
    batch_size = tf.shape(x["encoder_token_ids"])[0]
    first = tf.range(max_length)[tf.newaxis] == 0
    prompt = tf.where(first, x["decoder_token_ids"][:, :1], pad_token_id)
    generation_inputs = {
        "encoder_token_ids": x["encoder_token_ids"],
        "encoder_padding_mask": x["encoder_padding_mask"],
        "decoder_token_ids": prompt,
        "decoder_padding_mask": tf.cast(tf.tile(first, [batch_size, 1]), tf.int32),
    }
    with_languages = "encoder_language_ids" in x
    if with_languages:
        generation_inputs["encoder_language_ids"] = x["encoder_language_ids"]
        generation_inputs["decoder_language_ids"] = tf.tile(
            tf.cast(language_ids, tf.int32)[:, tf.newaxis], [1, max_length]
        )
    # Static shapes: the training step may be XLA-compiled.
    generated = model.generate_step(
        generation_inputs,
        stop_token_ids=[end_token_id],
        sampler=GreedySampler(),
        drop_padding=False,
    )
    mask = tf.cast(generated["decoder_padding_mask"], tf.int32)
    translated = {name: value for name, value in x.items() if not name.startswith("encoder_")}
    translated["encoder_token_ids"] = tf.where(
        mask > 0, tf.cast(generated["decoder_token_ids"], tf.int32), pad_token_id
    )
    translated["encoder_padding_mask"] = mask
    if with_languages:
        translated["encoder_language_ids"] = generation_inputs["decoder_language_ids"] * mask
    return translated


def back_translation_transform(model, max_length):
    """The `bt` objective's batch transform for `TrainStep`: a batch of
    `pipelines.bt_dataset` -> the same batch with its source side replaced
    by the model's greedy translation into `translate_to` (which it drops).

    It runs inside the compiled training step, on each replica's own batch,
    rather than on the input side: generation needs the current weights
    (online back-translation), which the `tf.data` graph cannot read while
    the step updates them, and in the step it is one program with the
    update (XLA on one device) that checkpoints and resume see as any other
    step.
    """
    tokenizer = model.preprocessor.tokenizer

    def transform(batch):
        batch = dict(batch)
        translate_to = batch.pop("translate_to")
        batch["x"] = back_translate(
            model,
            batch["x"],
            translate_to,
            max_length,
            tokenizer.end_token_id,
            tokenizer.pad_token_id,
        )
        return batch

    return transform
