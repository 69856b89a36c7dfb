"""`TranslationModule`: an `XLMSeq2SeqLM` and its tokenizer as a
`tf.Module` whose `translate` function takes raw strings.

The whole of `XLMSeq2SeqLM.generate` runs in the graph: the task's
`generate_preprocess` (tf-text's SentencePiece op, then
`xlm_keras.text.packing`), the encoder, the key/value-cached decoding loop
(`generate_step`, a `tf.while_loop` driven by `XLMBeamSampler`, over the
decoder weights fused once at export: `DecodingWeights`) and
`generate_postprocess` (SentencePiece detokenisation). Sources are packed
to `max_sequence_length` as `generate` packs them and cut to the request's
longest row (at least 2 tokens; the padding is masked, so the answer does
not change). Decoding is greedy (`num_beams=1`) or beam search, fixed at
export.
"""

import types

import tensorflow as tf

from xlm_keras.inference.decoder import DecodingWeights
from xlm_keras.inference.decoder import fused_sources
from xlm_keras.models.xlm_backbone import takes_language_ids
from xlm_keras.models.xlm_beam_sampler import XLMBeamSampler
from xlm_keras.models.xlm_seq2seq_lm_preprocessor import XLMSeq2SeqLMPreprocessor
from xlm_keras.serving.serving_module import TEXT
from xlm_keras.serving.serving_module import check_batch
from xlm_keras.serving.serving_module import cut_to_longest
from xlm_keras.serving.serving_module import graph_function

# generate_step outputs that `translate` reads.
GENERATED = ("decoder_token_ids", "decoder_padding_mask", "score")
# With `jit_compile`: requests of at most this many rows (batch x beams)
# decode in one XLA-compiled loop, larger ones in the graph. Measured on 2
# CPU cores, 6 + 6 x 512, greedy, in one process, with other jobs sharing the
# machine: XLA takes 0.76x the time at batch 1, 0.89x at 4, 0.88x at 8, 1.6x
# at 32 (that one before the export-time weight fusion); the graph's matmuls
# are faster for many rows, and it drops the source padding.
XLA_MAX_ROWS = 8
# With `jit_compile`: sources are padded to a multiple of this many tokens,
# so that XLA compiles one program per (rows, bucket).
SOURCE_BUCKET = 16
# The word `bucket_sources` repeats (one SentencePiece piece in most
# vocabularies; measured, not assumed).
FILLER_WORD = "a"


def bucket_sources(tokenizer, max_sequence_length):
    """One source text per XLA source bucket (`SOURCE_BUCKET` multiples, the
    last one `max_sequence_length`), each packed (two frame tokens added)
    to its bucket's length or a little below: replayed at load, they move
    the batch-1 compilations of a `jit_compile` export before its first
    request.

    Args:
        tokenizer: `XLMTokenizer`.
        max_sequence_length: int >= 2.

    Returns: [str], shortest bucket first.
    """
    pieces_per_word = len(tokenizer(FILLER_WORD)) or 1
    sources = []
    for bucket in range(SOURCE_BUCKET, max_sequence_length + SOURCE_BUCKET, SOURCE_BUCKET):
        pieces = min(bucket, max_sequence_length) - 2
        sources.append(" ".join([FILLER_WORD] * max(pieces // pieces_per_word, 1)))
    return sources


SOURCE_LANGUAGE = tf.TensorSpec([None], tf.string, name="source_language")
TARGET_LANGUAGE = tf.TensorSpec([None], tf.string, name="target_language")


class TranslationModule(tf.Module):
    """The `translate` signature of one exported `XLMSeq2SeqLM`.

    Args:
        model: `XLMSeq2SeqLM`.
        tokenizer: the preset's `XLMTokenizer` (built after any
            `keras.utils.set_random_seed`, tensorflow/text#570).
        max_sequence_length: int in [2, backbone.max_sequence_length].
            Longest packed source, specials included.
        max_decode_length: int in [2, backbone.max_sequence_length]. Longest
            translation in tokens, start and end tokens included (the
            `max_length` of `generate`).
        num_beams: int >= 1; 1 is greedy decoding.
        length_penalty: float. Beam ranking `sum log p / length **
            length_penalty` (`XLMBeamSampler`).
        decoder_dtype: "float32" or "bfloat16": the dtype of the decoder's
            matmuls (`DecodingWeights`).
        jit_compile: bool. Decode requests of at most `XLA_MAX_ROWS` rows
            with XLA (sources padded to `SOURCE_BUCKET` multiples); TF
            Serving needs `--xla_cpu_compilation_enabled=true` to run it.

    Attributes: `translate`, a `tf.function` of `text` [B] (+
    `source_language`, `target_language` [B] when the model takes language
    ids) -> `translation` tf.string [B] and `score` float32 [B] (the
    normalised log-probability of the translation).
    """

    def __init__(
        self,
        model,
        tokenizer,
        max_sequence_length,
        max_decode_length,
        num_beams=1,
        length_penalty=1.0,
        jit_compile=False,
        decoder_dtype="float32",
    ):
        super().__init__(name="xlm_translation")
        preprocessor = XLMSeq2SeqLMPreprocessor(
            tokenizer,
            encoder_sequence_length=max_sequence_length,
            decoder_sequence_length=max_decode_length,
        )
        preprocessor.configure_for(model)
        sampler = XLMBeamSampler(
            num_beams=num_beams, length_penalty=length_penalty, pad_token_id=tokenizer.pad_token_id
        )
        # A namespace, not attributes: the Keras objects are not saved as
        # trackable children, only the state below.
        self._keras = types.SimpleNamespace(model=model, preprocessor=preprocessor, sampler=sampler)
        self.max_sequence_length = max_sequence_length
        self.max_decode_length = max_decode_length
        self.num_beams = num_beams
        self.length_penalty = length_penalty
        self.has_language_input = takes_language_ids(model)
        self.stop_token_ids = [tokenizer.end_token_id]
        self.jit_compile = jit_compile
        self.decoder_dtype = decoder_dtype

        # === Tracked state (what the functions capture is saved) ===
        self.decoding_weights = DecodingWeights(model, decoder_dtype)
        # The decoder's weights are saved once, fused.
        fused = {id(weight) for weight in fused_sources(model)}
        self.model_weights = [weight for weight in model.weights if id(weight) not in fused]
        self.tokenizer_resources = tokenizer.tf_resources()

        # === Functions ===
        if jit_compile:
            self._keras.compiled_generate = tf.function(
                lambda inputs: self._generate(inputs, drop_padding=False),
                jit_compile=True,
                autograph=False,
            )
        if self.has_language_input:
            self.translate = graph_function(
                self._translate, [TEXT, SOURCE_LANGUAGE, TARGET_LANGUAGE]
            )
        else:
            self.translate = graph_function(lambda text: self._translate(text), [TEXT])

    def signature_functions(self, names=("translate",)):
        """dict signature key -> concrete function, `serving_default`
        (translate) included, for `tf.saved_model.save(..., signatures=)`."""
        function = self.translate.get_concrete_function()
        return {"serving_default": function, **{name: function for name in names}}

    def _translate(self, text, source_language=None, target_language=None):
        """`text` [B] (+ language codes [B]) -> `translation` tf.string [B]
        and `score` float32 [B]."""
        preprocessor = self._keras.preprocessor
        (text,) = check_batch(text=text)
        request = {"source": text}
        if self.has_language_input:
            request.update(source_language=source_language, target_language=target_language)
        inputs = self._trim_source(preprocessor.generate_preprocess(request))
        if self.jit_compile:
            rows = tf.shape(text)[0] * self.num_beams
            outputs = tf.cond(
                rows <= XLA_MAX_ROWS,
                lambda: self._keras.compiled_generate(self._pad_source(inputs)),
                lambda: self._generate(inputs, drop_padding=True),
            )
        else:
            outputs = self._generate(inputs, drop_padding=True)
        return {
            "translation": preprocessor.generate_postprocess(outputs),
            "score": outputs["score"],
        }

    def _generate(self, inputs, drop_padding):
        """`generate_step` on packed inputs -> the decoder tokens, their
        padding mask and the scores."""
        outputs = self._keras.model.generate_step(
            inputs,
            stop_token_ids=self.stop_token_ids,
            sampler=self._keras.sampler,
            drop_padding=drop_padding,
            decoding_weights=self.decoding_weights,
        )
        return {name: outputs[name] for name in GENERATED}

    def _pad_source(self, inputs):
        """`encoder_*` padded to the next multiple of `SOURCE_BUCKET` (at
        most `max_sequence_length`): XLA compiles once per shape."""
        length = tf.shape(inputs["encoder_padding_mask"])[1]
        bucket = tf.minimum(-(-length // SOURCE_BUCKET) * SOURCE_BUCKET, self.max_sequence_length)
        pad_id = self._keras.preprocessor.tokenizer.pad_token_id
        padded = {
            name: tf.pad(
                value,
                [[0, 0], [0, bucket - length]],
                constant_values=pad_id if name == "encoder_token_ids" else 0,
            )
            for name, value in inputs.items()
            if name.startswith("encoder_")
        }
        return {**inputs, **padded}

    @staticmethod
    def _trim_source(inputs):
        """`encoder_*` cut to the request's longest source (at least 2)."""
        source = {name: value for name, value in inputs.items() if name.startswith("encoder_")}
        return {**inputs, **cut_to_longest(source, inputs["encoder_padding_mask"])}
