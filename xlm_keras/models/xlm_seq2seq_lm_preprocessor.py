"""`XLMSeq2SeqLMPreprocessor`: sentence pairs to translation inputs and
labels; sources to generation inputs; generated ids back to text."""

import keras
import tensorflow as tf
from keras_hub.models import Seq2SeqLMPreprocessor

from xlm_keras.keras_hub_internals import preprocessing_function
from xlm_keras.models.xlm_preprocessor import XLMPreprocessor
from xlm_keras.models.xlm_seq2seq_backbone import XLMSeq2SeqBackbone
from xlm_keras.text.noise import add_noise
from xlm_keras.text.noise import word_start_table
from xlm_keras.text.packing import pack_single
from xlm_keras.text.packing import sentence_frame

SEQ2SEQ_KEYS = ("source", "target", "source_language", "target_language")


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMSeq2SeqLMPreprocessor(XLMPreprocessor, Seq2SeqLMPreprocessor):
    """Source and target sentences in the family's frame (`</s> x </s>` for
    XLM, `<s> x </s>` for XLM-R); the decoder reads the target shifted right
    (`</s> y` / `<s> y`) and predicts `y </s>`.

    Args:
        tokenizer: `XLMTokenizer` (one vocabulary for both languages).
        encoder_sequence_length: int. Source row length, specials included.
        decoder_sequence_length: int. Target row length (decoder inputs and
            labels), specials included.
        frame, use_language_ids: as `XLMPreprocessor`. With language ids the
            source rows get `source_language` and the target rows
            `target_language`.

    Call arguments:
        x: a dict with `source`, `target` (tf.string [batch]) and, for models
            with language embeddings, `source_language`, `target_language`
            (codes, one per row or one for the batch).
        y, sample_weight: must be None.

    Returns: `(x, labels, sample_weight)`: x has `encoder_token_ids`,
    `encoder_padding_mask` int32 [batch, encoder_sequence_length],
    `decoder_token_ids`, `decoder_padding_mask` int32
    [batch, decoder_sequence_length] (+ `encoder_language_ids`,
    `decoder_language_ids`); labels the next target ids, sample_weight 1 on
    real target tokens.

    Example:
    >>> preprocessor = XLMSeq2SeqLMPreprocessor.from_preset("runs/mt/preset")
    >>> x, labels, weights = preprocessor({"source": ["Hello"], "target": ["Bonjour"],
    ...     "source_language": "en", "target_language": "fr"})
    """

    backbone_cls = XLMSeq2SeqBackbone
    language_keys = ("source_language", "target_language")

    # Plain attributes: keras-hub's properties resize packers this class has
    # not (packing goes through `XLMPreprocessor.pack`, which is told the length).
    encoder_sequence_length = decoder_sequence_length = None

    def __init__(
        self,
        tokenizer,
        encoder_sequence_length=128,
        decoder_sequence_length=128,
        frame="xlm",
        use_language_ids=False,
        **kwargs,
    ):
        XLMPreprocessor.__init__(
            self,
            tokenizer,
            sequence_length=decoder_sequence_length,
            frame=frame,
            use_language_ids=use_language_ids,
            **kwargs,
        )
        self.encoder_sequence_length = encoder_sequence_length
        self.decoder_sequence_length = decoder_sequence_length

    @property
    def sequence_length(self):
        """The decoder's length, as in keras-hub's `Seq2SeqLMPreprocessor`."""
        return self.decoder_sequence_length

    @sequence_length.setter
    def sequence_length(self, value):
        self.decoder_sequence_length = value

    def split_seq2seq_inputs(self, x, need_target):
        """`(source, target or None, source_language, target_language)`."""
        if not isinstance(x, dict):
            x = {"source": x}
        unknown = set(x) - set(SEQ2SEQ_KEYS)
        if unknown or "source" not in x or (need_target and "target" not in x):
            required = "'source' and 'target'" if need_target else "'source'"
            raise ValueError(
                f"Translation inputs are a dict with keys {SEQ2SEQ_KEYS} ({required} "
                f"required), or source strings. Received keys {sorted(x)}."
            )
        if self.use_language_ids and "target_language" not in x:
            raise ValueError(
                "This model takes language ids: pass 'source_language' and 'target_language' "
                f"codes among {self.tokenizer.languages}."
            )
        return x["source"], x.get("target"), x.get("source_language"), x.get("target_language")

    def encoder_inputs(self, source, source_language):
        """`encoder_*` int32 [batch, encoder_sequence_length] of sources."""
        packed = self.model_inputs(
            self.pack(
                source,
                language=source_language,
                sequence_length=self.encoder_sequence_length,
                names=("source", "source_language"),
            )
        )
        return {f"encoder_{name}": value for name, value in packed.items()}

    @preprocessing_function
    def call(self, x, y=None, sample_weight=None):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "XLMSeq2SeqLMPreprocessor makes its own labels (the target shifted); pass "
                "{'source': ..., 'target': ...} only."
            )
        source, target, source_language, target_language = self.split_seq2seq_inputs(x, True)
        inputs = self.encoder_inputs(source, source_language)
        return self._with_target(inputs, target, target_language)

    def _with_target(self, inputs, target, target_language):
        """`(inputs + decoder_*, labels, sample_weight)` of target sentences."""
        packed = self.model_inputs(
            self.pack(
                target,
                language=target_language,
                sequence_length=self.decoder_sequence_length + 1,
                names=("target", "target_language"),
            )
        )
        inputs.update({f"decoder_{name}": value[:, :-1] for name, value in packed.items()})
        labels = packed["token_ids"][:, 1:]
        weights = tf.cast(packed["padding_mask"][:, 1:], tf.float32)
        return inputs, labels, weights

    def denoising(self, text, language, seed, shuffle_distance=3.0, dropout=0.1, blank=0.1):
        """Denoising auto-encoding examples (XLM's `ae` steps): the source is
        `text` with its words shuffled, dropped and blanked
        (`text.noise.add_noise`, blanks are `<mask>`), the target is `text`,
        both in `language`.

        Args:
            text: tf.string [batch]; language: codes (one per row or one).
            seed: int32 [2], the noise's stateless seed.
            shuffle_distance, dropout, blank: the noise (XLM: 3, 0.1, 0.1).

        Returns: `(x, labels, sample_weight)` as `call`.
        """
        text = tf.convert_to_tensor(text, tf.string)
        noisy = add_noise(
            self.tokenizer.tokenize(text, language),
            word_start_table(self.tokenizer),
            seed,
            self.tokenizer.mask_token_id,
            shuffle_distance,
            dropout,
            blank,
        )
        start_id, end_id = sentence_frame(self.frame, self.tokenizer)
        packed = pack_single(
            noisy,
            self.encoder_sequence_length,
            start_id,
            end_id,
            self.tokenizer.pad_token_id,
            language_id=self.language_ids(text, language),
        )
        inputs = {f"encoder_{name}": value for name, value in self.model_inputs(packed).items()}
        return self._with_target(inputs, text, language)

    @preprocessing_function
    def generate_preprocess(self, x, sequence_length=None):
        """Sources -> encoder inputs and a decoder prompt int32
        [batch, sequence_length] holding only the start token (`</s>` for
        XLM, `<s>` for XLM-R) in the target language; generation fills the
        rest."""
        source, _, source_language, target_language = self.split_seq2seq_inputs(x, False)
        source = tf.convert_to_tensor(source, tf.string)
        inputs = self.encoder_inputs(source, source_language)
        length = sequence_length or self.decoder_sequence_length
        batch_size = tf.shape(source)[0]
        start_id, _ = sentence_frame(self.frame, self.tokenizer)
        is_start = tf.tile(tf.range(length)[tf.newaxis] == 0, [batch_size, 1])
        inputs["decoder_token_ids"] = tf.where(is_start, start_id, self.tokenizer.pad_token_id)
        inputs["decoder_padding_mask"] = tf.cast(is_start, tf.int32)
        language_ids = self.language_ids(source, target_language, ("source", "target_language"))
        if language_ids is not None:
            inputs["decoder_language_ids"] = tf.tile(language_ids[:, tf.newaxis], [1, length])
        return inputs

    @preprocessing_function
    def generate_postprocess(self, x):
        """Generated `decoder_token_ids` and `decoder_padding_mask` ->
        tf.string [batch] (special tokens dropped)."""
        ids = tf.ragged.boolean_mask(
            x["decoder_token_ids"], tf.cast(x["decoder_padding_mask"], tf.bool)
        )
        return self.tokenizer.detokenize(ids)

    def get_config(self):
        config = XLMPreprocessor.get_config(self)
        del config["sequence_length"]
        config.update(
            {
                "encoder_sequence_length": self.encoder_sequence_length,
                "decoder_sequence_length": self.decoder_sequence_length,
            }
        )
        return config

    @classmethod
    def _add_missing_kwargs(cls, loader, kwargs):
        kwargs = super()._add_missing_kwargs(loader, kwargs)
        length = kwargs.pop("sequence_length")
        kwargs.setdefault("encoder_sequence_length", length)
        kwargs.setdefault("decoder_sequence_length", length)
        return kwargs
