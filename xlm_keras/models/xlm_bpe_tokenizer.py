"""`XLMBPETokenizer`: XLM's Moses + BPE tokenizer in the TF graph."""

import json
import os

import keras
import tensorflow as tf
from keras_hub.tokenizers import Tokenizer

from xlm_keras.keras_hub_internals import ASSET_DIR
from xlm_keras.keras_hub_internals import TOKENIZER_CONFIG_FILE
from xlm_keras.keras_hub_internals import KerasPresetLoader
from xlm_keras.keras_hub_internals import get_file
from xlm_keras.models.language_codes import LanguageCodes
from xlm_keras.models.piece_vocabulary import PieceVocabulary
from xlm_keras.models.preset_files import check_files
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.text.bpe import WORD_END
from xlm_keras.text.bpe import bpe_pieces
from xlm_keras.text.bpe import merge_ranks
from xlm_keras.text.moses import moses_words

# transformers' file names and formats: `vocab.json` {piece: id},
# `merges.txt` one "first second" pair a line, in rank order.
VOCAB_FILE = "vocab.json"
MERGES_FILE = "merges.txt"
# XLM's dictionary starts with these ids (facebookresearch/XLM's
# `Dictionary`, transformers' `XLMTokenizer`); `<special1>` is the mask.
SPECIAL_TOKENS = ("<s>", "</s>", "<pad>", "<unk>") + tuple(f"<special{i}>" for i in range(10))
MASK_TOKEN = "<special1>"
# transformers' `XLMTokenizer` reads text as English when no language is given.
DEFAULT_LANGUAGE = "en"


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMBPETokenizer(LanguageCodes, PieceVocabulary, Tokenizer):
    """XLM's tokenizer (Moses words, then fastBPE with `</w>` word ends).

    TensorFlow ops only (`text.moses`, `text.bpe`), so it runs eagerly, in
    `tf.data`, in `tf.function`, in Keras models and in SavedModels. Ids
    come without special tokens: packing adds them. The ids equal
    transformers' `XLMTokenizer(...).tokenize(text, lang=...)` converted to
    ids; pieces missing from the vocabulary get `<unk>`.

    Ids as in XLM's dictionary: `<s>`=0, `</s>`=1, `<pad>`=2, `<unk>`=3,
    `<special0..9>`=4..13, `<special1>` (5) the mask.

    Args:
        vocabulary: dict piece -> id (transformers' `vocab.json`), or the
            path of such a file.
        merges: list of "first second" strings or (first, second) pairs in
            rank order, or the path of a `merges.txt` (fastBPE's `codes`:
            a third column, the count, is ignored).
        languages: list of language codes; a code's index is its language id.
        lowercase_and_remove_accent: bool. Lower-case and strip accents
            after Moses (transformers' `do_lowercase_and_remove_accent`).
        **kwargs: layer arguments.

    Example:
    >>> tokenizer = XLMBPETokenizer(
    ...     vocabulary={**{t: i for i, t in enumerate(SPECIAL_TOKENS)},
    ...                 "lo": 14, "w</w>": 15, "low</w>": 16},
    ...     merges=["l o", "lo w</w>"], languages=["en"])
    >>> tokenizer(["low low", "lo"])  # ragged int32 [[16, 16], [3, 3]]: no merge "l o</w>"
    >>> tokenizer.detokenize([[16, 14, 15]])  # tf.string ["low low"]
    """

    backbone_cls = XLMBackbone
    start_token, end_token, pad_token, unk_token = SPECIAL_TOKENS[:4]
    start_token_id, end_token_id, pad_token_id, unk_token_id = 0, 1, 2, 3
    mask_token = MASK_TOKEN
    id_convention = "xlm_bpe"

    def __init__(
        self,
        vocabulary=None,
        merges=None,
        languages=None,
        lowercase_and_remove_accent=False,
        **kwargs,
    ):
        kwargs.setdefault("dtype", "int32")
        super().__init__(**kwargs)
        self.file_assets = [VOCAB_FILE, MERGES_FILE]
        self.lowercase_and_remove_accent = bool(lowercase_and_remove_accent)
        self._set_languages(languages)
        self.set_vocabulary_and_merges(vocabulary, merges)

    def set_vocabulary_and_merges(self, vocabulary, merges):
        """Set the vocabulary and merges (both, or both None)."""
        self.vocabulary = None
        self.merges = None
        self._vocabulary_by_id = self._id_by_token = None
        self._piece_ids = self._merge_ranks = None
        if vocabulary is None and merges is None:
            return
        if vocabulary is None or merges is None:
            raise ValueError(
                "XLMBPETokenizer needs both `vocabulary` (vocab.json) and `merges` "
                f"(merges.txt or codes); got vocabulary={type(vocabulary).__name__}, "
                f"merges={type(merges).__name__}."
            )
        self.vocabulary = _read_vocabulary(vocabulary)
        self.merges = _read_merges(merges)
        self._vocabulary_by_id = sorted(self.vocabulary, key=self.vocabulary.get)
        self._id_by_token = self.vocabulary
        self._piece_ids = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(self._vocabulary_by_id),
                tf.range(len(self._vocabulary_by_id), dtype=tf.int32),
            ),
            default_value=self.unk_token_id,
        )
        self._merge_ranks = merge_ranks([merge.split(" ") for merge in self.merges])
        self.mask_token_id = self.vocabulary[MASK_TOKEN]

    def with_languages(self, languages):
        """This tokenizer listing `languages` instead."""
        return XLMBPETokenizer(
            vocabulary=self.vocabulary,
            merges=self.merges,
            languages=languages,
            lowercase_and_remove_accent=self.lowercase_and_remove_accent,
        )

    def has_vocabulary(self):
        """Whether the vocabulary and merges are set."""
        return self.vocabulary is not None

    def _check_vocabulary(self):
        if not self.has_vocabulary():
            raise ValueError(
                "No vocabulary is set: build XLMBPETokenizer with vocabulary= and merges=, "
                "or load one with XLMBPETokenizer.from_preset(...)."
            )

    @property
    def special_tokens(self):
        return [token for token in SPECIAL_TOKENS if token in (self.vocabulary or {})]

    @property
    def special_token_ids(self):
        """Sorted ids of XLM's special tokens (never masked or proposed)."""
        self._check_vocabulary()
        return sorted(self.vocabulary[token] for token in self.special_tokens)

    def tokenize(self, inputs, language=None):
        """Text to piece ids, without special tokens.

        Args:
            inputs: tf.string scalar or [batch] (or str / list of str).
            language: the texts' language codes, which select Moses' rules:
                tf.string [batch], one code (str or scalar) for all, or None
                for English (as transformers' `XLMTokenizer`).

        Returns: int32 [None] for a scalar, tf.RaggedTensor int32
        [batch, None] for a batch.
        """
        self._check_vocabulary()
        with tf.device("cpu"):
            inputs = tf.convert_to_tensor(inputs, tf.string)
            unbatched = inputs.shape.rank == 0
            if unbatched:
                inputs = inputs[tf.newaxis]
            language = tf.convert_to_tensor(
                DEFAULT_LANGUAGE if language is None else language, tf.string
            )
            language = tf.broadcast_to(tf.reshape(language, [-1]), tf.shape(inputs))
            words = moses_words(
                inputs, language, lowercase_and_remove_accent=self.lowercase_and_remove_accent
            )
            pieces = bpe_pieces(words, self._merge_ranks)
            ids = tf.ragged.map_flat_values(self._piece_ids.lookup, pieces)
            return ids[0] if unbatched else ids

    def detokenize(self, inputs):
        """Ids back to text as transformers' `convert_tokens_to_string`:
        pieces joined, `</w>` a space; special ids (padding included) are
        skipped.

        Args:
            inputs: int [None] or [batch, None], dense or ragged.

        Returns: tf.string scalar or [batch].
        """
        self._check_vocabulary()
        with tf.device("cpu"):
            ids, unbatched = self._ids_without_specials(inputs)
            pieces = tf.ragged.map_flat_values(tf.gather, tf.constant(self._vocabulary_by_id), ids)
            text = tf.strings.reduce_join(pieces, axis=-1)
            text = tf.strings.strip(tf.strings.regex_replace(text, WORD_END, " "))
            return text[0] if unbatched else text

    def tf_resources(self):
        """The TensorFlow objects the tokenizer's ops read (piece and merge
        tables; the language table, if any): what a `tf.Module` tracks to
        save the tokenizer in a SavedModel."""
        self._check_vocabulary()
        return [
            resource
            for resource in (self._piece_ids, self._merge_ranks, self._language_table)
            if resource is not None
        ]

    def save_assets(self, dir_path):
        """Write `vocab.json` and `merges.txt` in transformers' formats."""
        self._check_vocabulary()
        with open(os.path.join(dir_path, VOCAB_FILE), "w", encoding="utf-8") as f:
            json.dump(self.vocabulary, f, ensure_ascii=False)
        with open(os.path.join(dir_path, MERGES_FILE), "w", encoding="utf-8") as f:
            f.writelines(f"{merge}\n" for merge in self.merges)

    def load_assets(self, dir_path):
        self.set_vocabulary_and_merges(
            os.path.join(dir_path, VOCAB_FILE), os.path.join(dir_path, MERGES_FILE)
        )

    def load_preset_assets(self, preset):
        asset_dir = os.path.join(ASSET_DIR, self.config_file.split(".")[0])
        self.set_vocabulary_and_merges(
            get_file(preset, os.path.join(asset_dir, VOCAB_FILE)),
            get_file(preset, os.path.join(asset_dir, MERGES_FILE)),
        )

    @classmethod
    def from_preset(cls, preset, config_file=TOKENIZER_CONFIG_FILE, **kwargs):
        """Load from a model preset or a tokenizer-only one (`save_to_preset`)."""
        check_files(preset)
        return KerasPresetLoader(preset, None).load_tokenizer(cls, config_file, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "languages": list(self.languages),
                "lowercase_and_remove_accent": self.lowercase_and_remove_accent,
            }
        )
        return config


def _read_vocabulary(vocabulary):
    """dict piece -> id of a dict or a `vocab.json` path; ids must be
    0..n-1 and XLM's special tokens must have XLM's ids."""
    source = vocabulary if isinstance(vocabulary, str) else "`vocabulary`"
    if isinstance(vocabulary, str):
        with open(vocabulary, encoding="utf-8") as f:
            vocabulary = json.load(f)
    if not isinstance(vocabulary, dict):
        raise ValueError(
            f"{source} must be a dict piece -> id (transformers' vocab.json); "
            f"got a {type(vocabulary).__name__}."
        )
    vocabulary = {str(piece): int(i) for piece, i in vocabulary.items()}
    if sorted(vocabulary.values()) != list(range(len(vocabulary))):
        raise ValueError(
            f"{source}: the ids must be 0..{len(vocabulary) - 1}, each once; they are not "
            "(repeated or missing ids). Use the vocab.json saved with the checkpoint."
        )
    wrong = {
        token: vocabulary.get(token)
        for token in SPECIAL_TOKENS[:4] + (MASK_TOKEN,)
        if vocabulary.get(token) != SPECIAL_TOKENS.index(token)
    }
    if wrong:
        raise ValueError(
            f"{source}: XLM's special tokens need XLM's ids "
            f"{ {token: SPECIAL_TOKENS.index(token) for token in wrong} }; found {wrong}."
        )
    return vocabulary


def _read_merges(merges):
    """ "first second" strings of a list or a merges.txt / codes path; a
    count after the pair, and empty lines, are dropped."""
    source = merges if isinstance(merges, str) else "`merges`"
    if isinstance(merges, str):
        with open(merges, encoding="utf-8") as f:
            merges = [line for line in f.read().split("\n") if line.strip()]
    pairs = []
    for i, merge in enumerate(merges):
        parts = merge.split() if isinstance(merge, str) else list(merge)
        if len(parts) not in (2, 3):
            raise ValueError(
                f"{source}: merge {i + 1} is {merge!r}; expected 'first second' "
                "(merges.txt) or 'first second count' (fastBPE codes)."
            )
        pairs.append(f"{parts[0]} {parts[1]}")
    return pairs
