"""`ServingModule`: a model and its tokenizer as a `tf.Module` whose
`tf.function`s take raw strings; the SavedModel signatures.

Every signature runs the task preprocessors (tf-text's SentencePiece op,
then `xlm_keras.text.packing`'s core ops) and the Keras model, so the same
text gives the same ids as in `tf.data` and in Python. Sentences are framed
as the family frames them: XLM `</s> x </s>`, XLM-R `<s> x </s>`. `T` is the
longest packed row of the request (at most `max_sequence_length`, at least
2): rows are truncated to `max_sequence_length` with both specials kept,
then padded with `<pad>`. The signatures that run the model on each row
alone (embed, classify, classify_pair, tag) run it on length-sorted slices
of the request (`length_slices`); `encode` and `fill_mask` on all of it.
"""

import types

import tensorflow as tf

from xlm_keras.inference.encoder import hidden_states
from xlm_keras.inference.length_slices import TOKENS_PER_SLICE
from xlm_keras.inference.length_slices import map_length_slices
from xlm_keras.models.xlm_backbone import family
from xlm_keras.models.xlm_backbone import takes_language_ids
from xlm_keras.models.xlm_masked_lm import filling_probabilities
from xlm_keras.models.xlm_masked_lm import fillings
from xlm_keras.models.xlm_masked_lm_preprocessor import MASK_POSITION_PADDING
from xlm_keras.models.xlm_masked_lm_preprocessor import XLMMaskedLMPreprocessor
from xlm_keras.models.xlm_text_classifier import pool
from xlm_keras.models.xlm_text_classifier_preprocessor import XLMTextClassifierPreprocessor
from xlm_keras.models.xlm_token_classifier import unplaced_tag_id
from xlm_keras.models.xlm_token_classifier_preprocessor import XLMTokenClassifierPreprocessor
from xlm_keras.text.packing import model_inputs
from xlm_keras.text.packing import sentence_frame

SIGNATURES = (
    "embed",
    "tokenize",
    "encode",
    "fill_mask",
    "classify",
    "classify_pair",
    "tag",
    "translate",
)
# Signature -> the task class it needs (the others work for every encoder-only model).
TASK_SIGNATURES = {
    "fill_mask": "XLMMaskedLM",
    "classify": "XLMTextClassifier",
    "classify_pair": "XLMTextClassifier",
    "tag": "XLMTokenClassifier",
    "translate": "XLMSeq2SeqLM",
}
# Tasks whose backbone also takes target ids: they serve their own signatures only.
ENCODER_DECODER_TASKS = ("XLMSeq2SeqLM",)
TEXT = tf.TensorSpec([None], tf.string, name="text")
TEXT_PAIR = tf.TensorSpec([None], tf.string, name="text_pair")
LANGUAGE = tf.TensorSpec([None], tf.string, name="language")


def supported_signatures(model):
    """The names in `SIGNATURES` that `model` can serve."""
    task = type(model).__name__
    if task in ENCODER_DECODER_TASKS:
        return [name for name in SIGNATURES if TASK_SIGNATURES.get(name) == task]
    return [name for name in SIGNATURES if TASK_SIGNATURES.get(name, task) == task]


def _request(text, language, **more):
    """The preprocessor input dict of a request (`language` only when given)."""
    return {"text": text, **more, **({} if language is None else {"language": language})}


def check_batch(**texts):
    """The request's text inputs (tf.string), checked in the graph: each a
    1-D batch, all of one length. A server feeds tensors of any shape into
    the `[None]` inputs, and the graph trusts `[None]` (a rank check would
    be folded away), so `EnsureShape` checks it when the request runs: a
    wrong one is INVALID_ARGUMENT naming the input ("Shape of tensor text
    [2,3] is not compatible with expected shape [?]") instead of an error
    deep inside the model. Returns them in order."""
    checked = {name: tf.ensure_shape(value, [None]) for name, value in texts.items()}
    (first_name, first), *others = checked.items()
    checks = [
        tf.debugging.Assert(
            tf.size(value) == tf.size(first),
            [
                f"`{name}` needs one string per `{first_name}`; received",
                tf.size(value),
                "for",
                tf.size(first),
            ],
        )
        for name, value in others
    ]
    with tf.control_dependencies(checks):
        return [tf.identity(value) for value in checked.values()]


def cut_to_longest(tensors, padding_mask):
    """`tensors` (dict of [batch, seq]) cut to the longest row of
    `padding_mask` int [batch, seq], at least 2 positions: a request pays
    only for its own lengths (the padding is masked, so the answer does not
    change)."""
    length = tf.reduce_max(tf.concat([[2], tf.reduce_sum(padding_mask, axis=1)], axis=0))
    return {name: value[:, :length] for name, value in tensors.items()}


def graph_function(fn, input_signature):
    """`tf.function` without AutoGraph: the code has no tensor-dependent
    Python control flow (nor do Keras layers), and converting it makes an
    export several times slower."""
    return tf.function(fn, input_signature=input_signature, autograph=False)


class ServingModule(tf.Module):
    """The signatures of one exported model.

    Args:
        model: `XLMBackbone`, or a task with a `backbone` (`XLMMaskedLM`
            also serves `fill_mask`, `XLMTextClassifier` `classify` and
            `classify_pair`, `XLMTokenClassifier` `tag`).
        tokenizer: the preset's `XLMTokenizer` (built after any
            `keras.utils.set_random_seed`, tensorflow/text#570).
        max_sequence_length: int in [2, backbone.max_sequence_length].
        top_k: int. Predictions per `<mask>` in `fill_mask` (special tokens
            are never proposed).
        tokens_per_slice: int. Padded tokens per length-sorted slice of a
            request (`length_slices.TOKENS_PER_SLICE`).

    Attributes: one `tf.function` per name in `supported_signatures(model)`;
    `language` arguments exist only when the model takes language ids
    (language embeddings, or a classifier's language centering).
    """

    def __init__(
        self, model, tokenizer, max_sequence_length, top_k=5, tokens_per_slice=TOKENS_PER_SLICE
    ):
        super().__init__(name="xlm_serving")
        backbone = getattr(model, "backbone", model)
        preprocessors = {
            name: cls(tokenizer, sequence_length=max_sequence_length)
            for name, cls in (
                ("text", XLMTextClassifierPreprocessor),
                ("mask", XLMMaskedLMPreprocessor),
                ("words", XLMTokenClassifierPreprocessor),
            )
        }
        for preprocessor in preprocessors.values():
            preprocessor.configure_for(model)
        # A namespace, not attributes: the Keras objects are not saved as
        # trackable children, only the state below.
        self._keras = types.SimpleNamespace(
            model=model, backbone=backbone, tokenizer=tokenizer, **preprocessors
        )
        self.max_sequence_length = max_sequence_length
        self.tokens_per_slice = tokens_per_slice
        self.vocabulary_size = tokenizer.vocabulary_size()
        self.top_k = min(top_k, fillings(tokenizer))
        self.special_token_ids = tokenizer.special_token_ids
        self.has_language_input = takes_language_ids(model)
        self.start_id, self.end_id = sentence_frame(family(model), tokenizer)

        # === Tracked state (what the functions capture is saved) ===
        # `weights`, not `variables`: dropout seed states are random per load
        # and would make two exports of one preset differ.
        self.model_weights = list(model.weights)
        self.tokenizer_resources = tokenizer.tf_resources()

        # === Functions ===
        self.embed = self._strings_function(self._embed)
        self.tokenize = self._strings_function(self._tokenize)
        input_names = ["token_ids", "padding_mask"] + ["language_ids"] * self.has_language_input
        self.encode = graph_function(
            lambda *inputs: self._encode(**dict(zip(input_names, inputs))),
            [tf.TensorSpec([None, None], tf.int32, name=name) for name in input_names],
        )
        supported = supported_signatures(model)
        if "fill_mask" in supported:
            self.fill_mask = self._strings_function(self._fill_mask)
        if "classify" in supported or "tag" in supported:
            self.label_names = tf.constant(model.label_names)
        if "classify" in supported:
            self.classify = self._strings_function(self._classify)
            specs = [TEXT, TEXT_PAIR] + [LANGUAGE] * self.has_language_input
            self.classify_pair = graph_function(self._classify_pair, specs)
        if "tag" in supported:
            self.tag = self._strings_function(self._tag)

    def signature_functions(self, names=SIGNATURES):
        """dict signature key -> concrete function, `serving_default` (embed)
        included, for `tf.saved_model.save(..., signatures=)`."""
        functions = {"serving_default": self.embed.get_concrete_function()}
        for name in names:
            functions[name] = getattr(self, name).get_concrete_function()
        return functions

    def _strings_function(self, fn):
        """`fn(text, language=None)` as a tf.function of `text` [B] and, for
        models with language embeddings, `language` [B]."""
        if self.has_language_input:
            return graph_function(fn, [TEXT, LANGUAGE])
        return graph_function(lambda text: fn(text), [TEXT])

    def _tokenize(self, text, language=None):
        """`text` [B] (+ `language` [B]) -> int32 [B, T] token_ids,
        padding_mask (+ language_ids)."""
        (text,) = check_batch(text=text)
        return self._trim(self._keras.text(_request(text, language)))

    def _embed(self, text, language=None):
        """-> float32 embedding (masked mean over real tokens, specials
        included), embedding_l2 (unit length) and cls_embedding (first
        token), each [B, H]."""

        def pooled(inputs):  # -> [b, 2, H]: mean, first token.
            hidden = tf.cast(self._backbone(inputs), tf.float32)
            return tf.stack([pool(hidden, inputs["padding_mask"], "mean"), hidden[:, 0]], axis=1)

        embedding, cls_embedding = tf.unstack(
            self._by_length(pooled, self._tokenize(text, language)), axis=1
        )
        return {
            "embedding": embedding,
            "embedding_l2": tf.math.l2_normalize(embedding, axis=-1),
            "cls_embedding": cls_embedding,
        }

    def _encode(self, token_ids, padding_mask, language_ids=None):
        """int32 [B, T] model inputs -> float32 sequence_output [B, T, H].
        Ids outside [0, vocabulary size) or [0, languages) are INVALID_ARGUMENT
        (a gather would read another row, or zeros on GPU)."""
        inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
        ranges = {"token_ids": self.vocabulary_size}
        if language_ids is not None:
            inputs["language_ids"] = language_ids
            backbone = self._keras.backbone
            ranges["language_ids"] = (
                backbone.num_languages
                if backbone.use_language_embedding
                else len(self._keras.tokenizer.languages)
            )
        checks = []
        for name, size in ranges.items():
            message = f"`{name}` must be in [0, {size}); got a value outside it"
            checks += [
                tf.debugging.assert_non_negative(inputs[name], message=message),
                tf.debugging.assert_less(inputs[name], size, message=message),
            ]
        with tf.control_dependencies(checks):
            inputs = {name: tf.identity(value) for name, value in inputs.items()}
        return {"sequence_output": tf.cast(self._backbone(inputs), tf.float32)}

    def _backbone(self, inputs):
        """The backbone's hidden states (`inference.encoder`: fewer graph
        ops than the Keras call, same outputs); `language_ids` that only the
        task takes (language centering) are not passed on."""
        backbone = self._keras.backbone
        return hidden_states(backbone, {k: v for k, v in inputs.items() if k in backbone.input})

    def _by_length(self, fn, inputs, per_token=False):
        return map_length_slices(fn, inputs, per_token, self.tokens_per_slice)

    def _model(self, inputs):
        """The task model's float32 outputs."""
        return tf.cast(self._keras.model(inputs, training=False), tf.float32)

    def _fill_mask(self, text, language=None):
        """Text with literal `<mask>`s -> the top_k tokens (tf.string) and
        softmax probabilities (float32) per mask, [B, M, top_k], and
        mask_positions int32 [B, M]. M is the request's most masks per row
        (after truncation); missing ones have position
        `MASK_POSITION_PADDING`, tokens "" and scores 0."""
        tokenizer = self._keras.tokenizer
        (text,) = check_batch(text=text)
        inputs = self._keras.mask.fill_mask_inputs(_request(text, language))
        positions = inputs.pop("mask_positions")
        inputs = self._trim(inputs)

        def predict():
            logits = self._keras.model(
                {**inputs, "mask_positions": tf.maximum(positions, 0)}, training=False
            )
            return filling_probabilities(logits, self.special_token_ids)

        def nothing_to_predict():
            # Keras' take_along_axis fails on zero-sized batches; skip the model.
            return tf.zeros(tf.concat([tf.shape(positions), [self.vocabulary_size]], 0))

        probabilities = tf.cond(tf.size(positions) > 0, predict, nothing_to_predict)
        scores, top_ids = tf.math.top_k(probabilities, self.top_k)
        is_real = (positions != MASK_POSITION_PADDING)[..., tf.newaxis]
        return {
            "top_k_tokens": tf.where(is_real, tf.gather(tokenizer.get_vocabulary(), top_ids), ""),
            "top_k_scores": tf.where(is_real, scores, 0.0),
            "mask_positions": positions,
        }

    def _classify(self, text, language=None):
        """-> label (tf.string [B]), label_id int32 [B] and probabilities
        float32 [B, classes] of single texts."""
        return self._classes(self._tokenize(text, language))

    def _classify_pair(self, text, text_pair, language=None):
        """Sentence pairs `text` [B] + `text_pair` [B] (NLI, paraphrase),
        packed `start a end end b end` -> as `classify`."""
        text, text_pair = check_batch(text=text, text_pair=text_pair)
        return self._classes(
            self._trim(self._keras.text(_request(text, language, text_pair=text_pair)))
        )

    def _classes(self, inputs):
        logits = self._by_length(self._model, inputs)
        label_id = tf.argmax(logits, axis=-1, output_type=tf.int32)
        return {
            "label": tf.gather(self.label_names, label_id),
            "label_id": label_id,
            "probabilities": tf.nn.softmax(logits),
        }

    def _tag(self, text, language=None):
        """Whitespace-separated words of `text` [B] -> words and tags
        (tf.string [B, W], "" after a row's last word) and tag_ids (int32
        [B, W], -1 there). Words cut by `max_sequence_length` get "O" (or
        the first tag)."""
        (text,) = check_batch(text=text)
        words = self._keras.words.words(text)
        inputs, positions = self._keras.words.pack_words(words, language)
        logits = self._by_length(self._model, self._trim(inputs), per_token=True)
        predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)  # [B, T]
        fallback = unplaced_tag_id(self._keras.model.label_names)
        tag_ids = tf.where(
            positions >= 0, tf.gather(predicted, tf.maximum(positions, 0), batch_dims=1), fallback
        )
        is_word = tf.sequence_mask(words.row_lengths(), tf.shape(positions)[1])
        tag_ids = tf.where(is_word, tag_ids, -1)
        return {
            "words": words.to_tensor(""),
            "tag_ids": tag_ids,
            "tags": tf.where(is_word, tf.gather(self.label_names, tf.maximum(tag_ids, 0)), ""),
        }

    def _trim(self, packed):
        """Model inputs of packed rows, cut to the request's longest (at
        least 2 tokens)."""
        inputs = model_inputs(packed, self.has_language_input)
        return cut_to_longest(inputs, packed["padding_mask"])
