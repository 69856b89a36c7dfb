"""`ServingModule`: a model and its tokenizer as a `tf.Module` whose
`tf.function`s take raw strings; the SavedModel signatures.

Every signature tokenises in the graph (tf-text's SentencePiece op), packs
with `xlm_keras.text.packing` (core ops) and runs the Keras model. Sentences
are framed like `evaluation.encode_sentences`: XLM `</s> x </s>`, XLM-R
`<s> x </s>`. `T` is the longest packed row of the request (at most
`max_sequence_length`, at least 2): rows are truncated to
`max_sequence_length` with both specials kept, then padded with `<pad>`.
"""

import types

import tensorflow as tf

from xlm_keras.finetuning.task_pipelines import TaskSpec
from xlm_keras.finetuning.task_pipelines import pack_words
from xlm_keras.models.xlm_backbone import takes_language_ids
from xlm_keras.models.xlm_text_classifier import pool
from xlm_keras.text.packing import pack_pair
from xlm_keras.text.packing import pack_single
from xlm_keras.models.xlm_tokenizer import MASK_TOKEN
from xlm_keras.models.xlm_backbone import family
from xlm_keras.text.packing import sentence_frame

SIGNATURES = ("embed", "tokenize", "encode", "fill_mask", "classify", "classify_pair", "tag")
# Signature -> the task class it needs (the others work for every model).
TASK_SIGNATURES = {"fill_mask": "XLMMaskedLM", "classify": "XLMTextClassifier",
                   "classify_pair": "XLMTextClassifier", "tag": "XLMTokenClassifier"}
# `mask_positions` value on rows with fewer masks than the request's most.
MASK_POSITION_PADDING = -1
TEXT = tf.TensorSpec([None], tf.string, name="text")
TEXT_PAIR = tf.TensorSpec([None], tf.string, name="text_pair")
LANGUAGE = tf.TensorSpec([None], tf.string, name="language")


def supported_signatures(model):
    """The names in `SIGNATURES` that `model` can serve."""
    task = type(model).__name__
    return [name for name in SIGNATURES if TASK_SIGNATURES.get(name, task) == task]


def _function(fn, input_signature):
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
        top_k: int. Predictions per `<mask>` in `fill_mask`.

    Attributes: one `tf.function` per name in `supported_signatures(model)`;
    `language` arguments exist only when the model takes language ids
    (language embeddings, or a classifier's language centering).
    """

    def __init__(self, model, tokenizer, max_sequence_length, top_k=5):
        super().__init__(name="xlm_serving")
        backbone = getattr(model, "backbone", model)
        # A namespace, not attributes: the Keras objects are not saved as
        # trackable children, only the state below.
        self._keras = types.SimpleNamespace(
            model=model, backbone=backbone, tokenizer=tokenizer)
        self.max_sequence_length = max_sequence_length
        self.vocabulary_size = tokenizer.vocabulary_size()
        self.top_k = min(top_k, self.vocabulary_size)
        self.has_language_input = takes_language_ids(model)
        self.start_id, self.end_id = sentence_frame(family(backbone), tokenizer)

        # === Tracked state (what the functions capture is saved) ===
        # `weights`, not `variables`: dropout seed states are random per load
        # and would make two exports of one preset differ.
        self.model_weights = list(model.weights)
        tokenizer._maybe_initialized_tf()
        self.sentence_piece = tokenizer._sentence_piece  # SentencePiece resource.
        if self.has_language_input:
            self.language_table = tokenizer._language_table

        # === Functions ===
        self.embed = self._strings_function(self._embed)
        self.tokenize = self._strings_function(self._tokenize)
        input_names = ["token_ids", "padding_mask"] + ["language_ids"] * self.has_language_input
        self.encode = _function(
            lambda *inputs: self._encode(**dict(zip(input_names, inputs))),
            [tf.TensorSpec([None, None], tf.int32, name=name) for name in input_names])
        supported = supported_signatures(model)
        if "fill_mask" in supported:
            self.fill_mask = self._strings_function(self._fill_mask)
        if "classify" in supported or "tag" in supported:
            self.label_names = tf.constant(model.label_names)
        if "classify" in supported:
            self.classify = self._strings_function(self._classify)
            specs = [TEXT, TEXT_PAIR] + [LANGUAGE] * self.has_language_input
            self.classify_pair = _function(self._classify_pair, specs)
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
            return _function(fn, [TEXT, LANGUAGE])
        return _function(lambda text: fn(text), [TEXT])

    def _tokenize(self, text, language=None):
        """`text` [B] (+ `language` [B]) -> int32 [B, T] token_ids,
        padding_mask (+ language_ids)."""
        return self._pack(self._keras.tokenizer.tokenize(text), text, language)

    def _embed(self, text, language=None):
        """-> float32 embedding (masked mean over real tokens, specials
        included), embedding_l2 (unit length) and cls_embedding (first
        token), each [B, H]."""
        inputs = self._tokenize(text, language)
        hidden = tf.cast(self._backbone(inputs), tf.float32)
        embedding = pool(hidden, inputs["padding_mask"], "mean")
        return {
            "embedding": embedding,
            "embedding_l2": tf.math.l2_normalize(embedding, axis=-1),
            "cls_embedding": hidden[:, 0],
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
            ranges["language_ids"] = (backbone.num_languages if backbone.use_language_embedding
                                      else len(self._keras.tokenizer.languages))
        checks = []
        for name, size in ranges.items():
            message = f"`{name}` must be in [0, {size}); got a value outside it"
            checks += [tf.debugging.assert_non_negative(inputs[name], message=message),
                       tf.debugging.assert_less(inputs[name], size, message=message)]
        with tf.control_dependencies(checks):
            inputs = {name: tf.identity(value) for name, value in inputs.items()}
        return {"sequence_output": tf.cast(self._backbone(inputs), tf.float32)}

    def _backbone(self, inputs):
        """The backbone's hidden states; `language_ids` that only the task
        takes (language centering) are not passed on."""
        backbone = self._keras.backbone
        return backbone({k: v for k, v in inputs.items() if k in backbone.input}, training=False)

    def _fill_mask(self, text, language=None):
        """Text with literal `<mask>`s -> the top_k tokens (tf.string) and
        softmax probabilities (float32) per mask, [B, M, top_k], and
        mask_positions int32 [B, M]. M is the request's most masks per row
        (after truncation); missing ones have position
        `MASK_POSITION_PADDING`, tokens "" and scores 0."""
        tokenizer = self._keras.tokenizer
        # Tokenise the pieces between masks, then join them with the mask id:
        # the same for both id conventions (only "native" has a `<mask>` piece).
        pieces = tf.strings.split(text, sep=MASK_TOKEN)
        piece_ids = tokenizer.tokenize(pieces.flat_values)
        mask_ids = tf.fill([piece_ids.nrows(), 1], tf.constant(tokenizer.mask_token_id, tf.int32))
        piece_ids = tf.concat([piece_ids, tf.RaggedTensor.from_tensor(mask_ids)], axis=1)
        ids = tf.RaggedTensor.from_row_splits(piece_ids, pieces.row_splits)
        inputs = self._pack(ids.merge_dims(1, 2)[:, :-1], text, language)

        token_ids = inputs["token_ids"]
        is_mask = (token_ids == tokenizer.mask_token_id) & (inputs["padding_mask"] > 0)
        columns = tf.broadcast_to(tf.range(tf.shape(token_ids)[1]), tf.shape(token_ids))
        positions = tf.ragged.boolean_mask(columns, is_mask).to_tensor(
            MASK_POSITION_PADDING)

        def predict():
            logits = self._keras.model(
                {**inputs, "mask_positions": tf.maximum(positions, 0)}, training=False)
            return tf.nn.softmax(tf.cast(logits, tf.float32))

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
        tf.debugging.assert_equal(tf.size(text_pair), tf.size(text),
                                  message="`text_pair` needs one text per `text`.")
        tokenizer = self._keras.tokenizer
        packed = pack_pair(
            tokenizer.tokenize(text), tokenizer.tokenize(text_pair), self.max_sequence_length,
            self.start_id, self.end_id, tokenizer.pad_token_id,
            first_language_id=self._language_ids(text, language),
            second_language_id=self._language_ids(text, language))
        return self._classes(self._trim(packed))

    def _classes(self, inputs):
        logits = tf.cast(self._keras.model(inputs, training=False), tf.float32)
        label_id = tf.argmax(logits, axis=-1, output_type=tf.int32)
        return {"label": tf.gather(self.label_names, label_id), "label_id": label_id,
                "probabilities": tf.nn.softmax(logits)}

    def _tag(self, text, language=None):
        """Whitespace-separated words of `text` [B] -> words and tags
        (tf.string [B, W], "" after a row's last word) and tag_ids (int32
        [B, W], -1 there). Words cut by `max_sequence_length` get "O" (or
        the first tag)."""
        words = tf.strings.split(tf.strings.unicode_transcode(
            text, "UTF-8", "UTF-8", errors="replace"))
        spec = TaskSpec(self._keras.tokenizer, self.max_sequence_length, batch_size=1,
                        start_id=self.start_id, end_id=self.end_id,
                        use_language_ids=self.has_language_input)
        inputs, positions = pack_words(spec, words, self._language_ids(text, language))
        inputs = self._trim(inputs)
        logits = self._keras.model(inputs, training=False)
        predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)  # [B, T]
        fallback = self._keras.model.label_names.index("O") if (
            "O" in self._keras.model.label_names) else 0
        tag_ids = tf.where(positions >= 0,
                           tf.gather(predicted, tf.maximum(positions, 0), batch_dims=1), fallback)
        is_word = tf.sequence_mask(words.row_lengths(), tf.shape(positions)[1])
        tag_ids = tf.where(is_word, tag_ids, -1)
        return {"words": words.to_tensor(""), "tag_ids": tag_ids,
                "tags": tf.where(is_word, tf.gather(self.label_names, tf.maximum(tag_ids, 0)), "")}

    def _language_ids(self, text, language):
        """int32 [B] language ids of the request, or None for a model that
        takes none."""
        if not self.has_language_input:
            return None
        tf.debugging.assert_equal(
            tf.size(language), tf.size(text),
            message="`language` needs one language code per `text`.")
        # Valid UTF-8 first: the unknown-code error echoes the codes, and
        # an invalid byte there turns the client's InvalidArgumentError
        # into a UnicodeDecodeError.
        language = tf.strings.unicode_transcode(language, "UTF-8", "UTF-8", errors="replace")
        return self._keras.tokenizer.language_ids(language)

    def _trim(self, packed):
        """Packed rows cut to the request's longest (at least 2 tokens)."""
        lengths = tf.reduce_sum(packed["padding_mask"], axis=1)
        length = tf.reduce_max(tf.concat([[2], lengths], axis=0))
        names = ["token_ids", "padding_mask"] + ["language_ids"] * self.has_language_input
        return {name: packed[name][:, :length] for name in names}

    def _pack(self, ids, text, language):
        """Ragged piece ids [B, None] -> dict of int32 [B, T] model inputs."""
        packed = pack_single(
            ids, self.max_sequence_length, self.start_id, self.end_id,
            self._keras.tokenizer.pad_token_id, language_id=self._language_ids(text, language))
        return self._trim(packed)
