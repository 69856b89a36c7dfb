"""`XLMTokenizer`: SentencePiece in the TF graph, XLM special ids, languages."""

import os

import keras
import tensorflow as tf
from keras_hub.tokenizers import SentencePieceTokenizer

from xlm_keras.data.sentencepiece_training import MASK_TOKEN
from xlm_keras.data.sentencepiece_training import SPECIAL_TOKENS
from xlm_keras.keras_hub_internals import ASSET_DIR
from xlm_keras.keras_hub_internals import TOKENIZER_CONFIG_FILE
from xlm_keras.keras_hub_internals import VOCAB_FILENAME
from xlm_keras.keras_hub_internals import KerasPresetLoader
from xlm_keras.keras_hub_internals import get_file
from xlm_keras.keras_hub_internals import is_int_dtype
from xlm_keras.models.language_codes import LanguageCodes
from xlm_keras.models.piece_vocabulary import PieceVocabulary
from xlm_keras.models.preset_files import LANGUAGES_FILE
from xlm_keras.models.preset_files import agreed_languages
from xlm_keras.models.preset_files import check_files
from xlm_keras.models.preset_files import tokenizer_languages
from xlm_keras.models.xlm_backbone import XLMBackbone

ID_CONVENTIONS = ("native", "fairseq")
# Model ids 0-3 in both conventions (SPECIAL_TOKENS); `<mask>` is a piece
# (native) or last (fairseq).
# SentencePiece's first pieces in an XLM-R / fairseq `sentencepiece.bpe.model`.
FAIRSEQ_SENTENCEPIECE_HEAD = ("<unk>", "<s>", "</s>")


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMTokenizer(LanguageCodes, PieceVocabulary, SentencePieceTokenizer):
    """SentencePiece tokenizer with XLM special ids and a language list.

    Runs tensorflow-text's SentencePiece op, so it works eagerly, in
    `tf.data`, in `tf.function`, in Keras models and in SavedModels. Ids come
    without special tokens: packing adds them.

    Both conventions give `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3:
    - `"native"`: a model trained by `train_tokenizer`, whose SentencePiece
      ids already are the model ids (`<mask>` is a user-defined piece, so a
      literal `<mask>` in the text becomes the mask id).
    - `"fairseq"`: an XLM-R `sentencepiece.bpe.model` (`<unk>`=0, `<s>`=1,
      `</s>`=2), remapped like fairseq and Hugging Face: piece i -> i + 1,
      `<mask>` = last id, `vocabulary_size()` = pieces + 2.

    Seed first (`keras.utils.set_random_seed`), then build the tokenizer:
    TensorFlow's seed reset frees SentencePiece resources made before it
    (tensorflow/text#570).

    Args:
        proto: path to a SentencePiece model, or its serialized bytes.
        languages: list of language codes; a code's index is its language id.
        id_convention: `"native"` or `"fairseq"`.
        **kwargs: `SentencePieceTokenizer` arguments (`sequence_length` pads
            with `pad_token_id`) and layer arguments.

    Example:
    >>> tokenizer = train_tokenizer(
    ...     {"en": ["en.txt"], "fr": ["fr.txt"]}, "tokenizer/", 300)
    >>> tokenizer(["Hello world!", ""])  # ragged int32 [2, None]
    >>> tokenizer.detokenize(tokenizer("Hello world!"))  # tf.string "Hello world!"
    >>> tokenizer.language_ids(tf.constant(["fr", "en"]))  # int32 [1, 0]
    """

    backbone_cls = XLMBackbone
    start_token, pad_token, end_token, unk_token = SPECIAL_TOKENS
    start_token_id, pad_token_id, end_token_id, unk_token_id = 0, 1, 2, 3
    mask_token = MASK_TOKEN

    def __init__(self, proto=None, languages=None, id_convention="native", **kwargs):
        if id_convention not in ID_CONVENTIONS:
            raise ValueError(
                f"id_convention must be one of {ID_CONVENTIONS}; got "
                f"{id_convention!r}. Use 'fairseq' for XLM-R's "
                "sentencepiece.bpe.model, 'native' for train_tokenizer's."
            )
        self.id_convention = id_convention
        super().__init__(proto=proto, **kwargs)
        if not is_int_dtype(self.compute_dtype):
            raise ValueError(
                f"XLMTokenizer outputs ids; got dtype={self.compute_dtype!r}. "
                "Use an integer dtype and `id_to_token` for piece strings."
            )
        self._set_languages(languages)

    def set_proto(self, proto):
        super().set_proto(proto)
        self._vocabulary_by_id = None
        self._id_by_token = None
        self.mask_token_id = None
        if proto is None:
            return
        pieces = SentencePieceTokenizer.get_vocabulary(self)  # Its pieces, not our ids.
        _check_layout(pieces, self.id_convention)
        if self.id_convention == "fairseq":
            vocabulary = list(SPECIAL_TOKENS) + pieces[3:] + [MASK_TOKEN]
        else:
            vocabulary = pieces
        self._vocabulary_by_id = vocabulary
        self._id_by_token = {token: i for i, token in enumerate(vocabulary)}
        self.mask_token_id = self._id_by_token[MASK_TOKEN]

    @property
    def special_tokens(self):
        return [*SPECIAL_TOKENS, MASK_TOKEN]

    @property
    def special_token_ids(self):
        """Sorted ids of `<s>`, `<pad>`, `</s>`, `<unk>` and `<mask>`."""
        self._check_vocabulary()
        return sorted(
            [
                self.start_token_id,
                self.pad_token_id,
                self.end_token_id,
                self.unk_token_id,
                self.mask_token_id,
            ]
        )

    def with_languages(self, languages):
        """This tokenizer listing `languages` instead."""
        return XLMTokenizer(proto=self.proto, languages=languages, id_convention=self.id_convention)

    def has_vocabulary(self):
        """Whether the SentencePiece model is set."""
        return self.proto is not None

    def tokenize(self, inputs, language=None):
        """Text to piece ids, without special tokens.

        Args:
            inputs: tf.string scalar or [batch] (or str / list of str).
            language: unused: SentencePiece has no per-language rules
                (`XLMBPETokenizer` takes the same argument).

        Returns: int32 [None] for a scalar, tf.RaggedTensor int32
        [batch, None] for a batch; dense [..., sequence_length] padded with
        `pad_token_id` when `sequence_length` is set. Tensors in eager mode
        too (keras-hub's eager path returns Python lists), so eager code and
        `tf.data` code look the same.
        """
        self._check_vocabulary()
        self._maybe_initialized_tf()
        with tf.device("cpu"):
            inputs = tf.convert_to_tensor(inputs, tf.string)
            unbatched = inputs.shape.rank == 0
            if unbatched:
                inputs = inputs[tf.newaxis]
            ids = self._sentence_piece.tokenize(inputs)
            if self.id_convention == "fairseq":
                ids = tf.ragged.map_flat_values(_fairseq_ids, ids)
            if self.sequence_length:
                shape = ids.shape.as_list()
                shape[-1] = self.sequence_length
                ids = ids.to_tensor(shape=shape, default_value=self.pad_token_id)
            return ids[0] if unbatched else ids

    def tokenize_with_offsets(self, inputs):
        """`tokenize` of a batch, with each piece's UTF-8 byte span.

        Args: inputs: tf.string [batch] (or list of str).

        Returns: (ids, starts, ends), tf.RaggedTensor [batch, None] each:
        int32 piece ids and int64 byte offsets (`ends` exclusive) into the
        input strings. A piece's span includes the space it stands for.
        """
        self._check_vocabulary()
        self._maybe_initialized_tf()
        with tf.device("cpu"):
            inputs = tf.convert_to_tensor(inputs, tf.string)
            ids, starts, ends = self._sentence_piece.tokenize_with_offsets(inputs)
            if self.id_convention == "fairseq":
                ids = tf.ragged.map_flat_values(_fairseq_ids, ids)
            return ids, starts, ends

    def detokenize(self, inputs):
        """Ids back to text; special ids (padding included) are skipped.

        Args:
            inputs: int [None] or [batch, None], dense or ragged.

        Returns: tf.string scalar or [batch].
        """
        self._check_vocabulary()
        self._maybe_initialized_tf()
        with tf.device("cpu"):
            ids, unbatched = self._ids_without_specials(inputs)
            if self.id_convention == "fairseq":
                ids = ids - 1
            text = self._sentence_piece.detokenize(ids)
            return text[0] if unbatched else text

    def tf_resources(self):
        """The TensorFlow objects the tokenizer's ops read (the SentencePiece
        model; the language table, if any): what a `tf.Module` tracks to
        save the tokenizer in a SavedModel."""
        self._maybe_initialized_tf()
        return [
            resource
            for resource in (self._sentence_piece, self._language_table)
            if resource is not None
        ]

    # The languages are saved in the config: `tokenizer.json` of a preset is
    # where they are kept; the copies keras-hub nests in `preprocessor.json`
    # and `task.json`, and an older preset's `languages.json`, must agree.

    def load_assets(self, dir_path):
        super().load_assets(dir_path)
        self._set_languages(
            agreed_languages(
                self.languages, os.path.join(dir_path, LANGUAGES_FILE), "the tokenizer's config"
            )
        )

    def load_preset_assets(self, preset):
        asset_dir = os.path.join(ASSET_DIR, self.config_file.split(".")[0])
        self.set_proto(get_file(preset, os.path.join(asset_dir, VOCAB_FILENAME)))
        config_file = os.path.join(preset, self.config_file)
        if os.path.isfile(config_file):
            listed = tokenizer_languages(preset)
            if self.languages and list(self.languages) != listed:
                raise ValueError(
                    f"The tokenizer saved with the task in {preset} (preprocessor.json, "
                    f"task.json) lists languages {list(self.languages)} but {config_file} "
                    f"lists {listed}: the language ids would depend on the file read. The "
                    f"languages live in {self.config_file}; save the preset again (or make "
                    "them agree)."
                )
            self._set_languages(listed)
        elif os.path.isdir(preset):  # A tokenizer saved without its own config.
            self._set_languages(
                agreed_languages(
                    self.languages,
                    os.path.join(preset, asset_dir, LANGUAGES_FILE),
                    os.path.join(preset, "preprocessor.json"),
                )
            )

    @classmethod
    def from_preset(cls, preset, config_file=TOKENIZER_CONFIG_FILE, **kwargs):
        """Load from a model preset (an encoder's or a translation model's),
        or a tokenizer-only one (no `config.json`) as written by
        `save_to_preset` and `train_tokenizer`. keras-hub would look the
        class up by the preset's backbone; every XLM backbone has this one."""
        check_files(preset)
        return KerasPresetLoader(preset, None).load_tokenizer(cls, config_file, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update({"languages": list(self.languages), "id_convention": self.id_convention})
        return config


def _fairseq_ids(ids):
    """SentencePiece ids of an XLM-R model to fairseq ids.

    `<unk>` 0 -> 3, `<s>` 1 -> 0, `</s>` 2 -> 2, every other piece i -> i + 1.
    """
    head = tf.gather(tf.constant([3, 0, 2], ids.dtype), tf.minimum(ids, 2))
    return tf.where(ids < 3, head, ids + 1)


def _check_layout(pieces, id_convention):
    """Raise unless the SentencePiece pieces fit `id_convention`."""
    head = tuple(pieces[:4])
    looks_native = head == SPECIAL_TOKENS and MASK_TOKEN in pieces
    looks_fairseq = head[:3] == FAIRSEQ_SENTENCEPIECE_HEAD
    if id_convention == "native" and not looks_native:
        hint = (
            ' It looks like an XLM-R / fairseq model: pass id_convention="fairseq".'
            if looks_fairseq
            else " Train one with xlm_keras.train_tokenizer."
        )
        raise ValueError(
            'id_convention="native" needs SentencePiece pieces '
            f"{list(SPECIAL_TOKENS)} at ids 0-3 and a {MASK_TOKEN} piece; this "
            f"model has {list(head)} at ids 0-3"
            f"{'' if MASK_TOKEN in pieces else f' and no {MASK_TOKEN}'}.{hint}"
        )
    if id_convention == "fairseq" and not looks_fairseq:
        hint = ' It looks like a native model: pass id_convention="native".'
        raise ValueError(
            'id_convention="fairseq" needs SentencePiece pieces '
            f"{list(FAIRSEQ_SENTENCEPIECE_HEAD)} at ids 0-2 (XLM-R's "
            f"sentencepiece.bpe.model); this model has {list(head[:3])}."
            f"{hint if looks_native else ''}"
        )
