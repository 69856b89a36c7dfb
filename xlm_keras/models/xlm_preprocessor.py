"""`XLMPreprocessor`: what every XLM task preprocessor shares.

Raw inputs come in one of three shapes:
    strings: str, list of str or tf.string [batch];
    a dict with `text`, optional `text_pair` and `language` (ISO codes,
        one per row or one for the batch);
    a tuple `(text, text_pair)`, alone or with labels
        (`preprocessor((a, b), y)`, `((a, b), y)` elements of a
        `tf.data.Dataset`); a 2-tuple alone whose second part is not text
        is `(x, y)`, as keras-hub reads it.

Raw Python inputs are checked first (`checks.check_raw_text`): an error
names the input and says what it takes.
"""

import keras
import tensorflow as tf
from keras_hub.models import Preprocessor

from xlm_keras.keras_hub_internals import TASK_CONFIG_FILE
from xlm_keras.keras_hub_internals import check_file_exists
from xlm_keras.keras_hub_internals import convert_preprocessing_inputs
from xlm_keras.keras_hub_internals import load_json
from xlm_keras.layers.xlm_embedding import uses_language_embedding
from xlm_keras.models import checks
from xlm_keras.models.preset_files import check_tokenizer_fits
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_backbone import family
from xlm_keras.models.xlm_backbone import takes_language_ids
from xlm_keras.models.xlm_tokenizer import XLMTokenizer
from xlm_keras.text.packing import FRAMES
from xlm_keras.text.packing import model_inputs
from xlm_keras.text.packing import pack_text

TEXT_KEYS = ("text", "text_pair", "language")


def item_languages(language, rows, item_rows):
    """Language codes tf.string [items] of the items (words, pieces
    between masks) of `rows` rows, item i in row `item_rows[i]`, from
    `language` (one code, or one per row); None when `language` is None.
    The tokenizer reads them (XLMBPETokenizer: Moses' rules per language)."""
    if language is None:
        return None
    codes = tf.reshape(tf.convert_to_tensor(language, tf.string), [-1])
    return tf.gather(tf.broadcast_to(codes, tf.reshape(rows, [1])), item_rows)


def _as_tensor(value):
    """A tensor of a raw input value: a string, (nested) lists, an array."""
    if isinstance(value, (tf.Tensor, tf.RaggedTensor)):
        return value
    if isinstance(value, (str, bytes)):
        return tf.constant(value)
    return convert_preprocessing_inputs(value)


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMPreprocessor(Preprocessor):
    """Base of the task preprocessors: tokenizer, frame, language ids.

    Args:
        tokenizer: `XLMTokenizer`.
        sequence_length: int. Length of every packed row, specials included.
        frame: `"xlm"` (`</s> x </s>`) or `"roberta"` (`<s> x </s>`).
        use_language_ids: bool. Output `language_ids` (the model has
            language embeddings or centers languages); a `language` input
            is then required.

    A task sets `frame` and `use_language_ids` from its backbone when it is
    given a preprocessor, and `from_preset` reads them from the preset.
    """

    backbone_cls = XLMBackbone
    tokenizer_cls = XLMTokenizer

    def __init__(
        self, tokenizer, sequence_length=512, frame="xlm", use_language_ids=False, **kwargs
    ):
        Preprocessor.__init__(self, **kwargs)
        if frame not in FRAMES:
            raise ValueError(f"`frame` must be one of {FRAMES}. Received: frame={frame!r}")
        self.tokenizer = tokenizer
        self.packer = None  # keras-hub's `sequence_length` setter reads it.
        self.sequence_length = sequence_length
        self.frame = frame
        self.use_language_ids = bool(use_language_ids)

    def build(self, input_shape):
        self.built = True

    # Largest rank of a text input: 1 (texts [batch]); 2 where lists of
    # words are taken too.
    text_rank = 1

    def __call__(self, x, *args, **kwargs):
        alone = type(x) is tuple and not args and not kwargs
        if alone and len(x) == 2 and checks.is_text(x[1]):
            # `(text, text_pair)`: keras-hub would unpack it as `(x, y)`.
            kwargs["y"] = None
            alone = False
        self.check_inputs(x[0] if alone else x)
        if isinstance(x, dict):
            # Keras refuses dicts mixing tensors and Python values (a
            # language code given once for a batch of tensors).
            x = {key: _as_tensor(value) for key, value in x.items() if value is not None}
        return super().__call__(x, *args, **kwargs)

    # The language inputs a model with language ids needs.
    language_keys = ("language",)

    def check_inputs(self, x, argument="x", allow_scalar=True):
        """Raise one named error unless `x` is raw text this preprocessor
        takes (`checks.check_raw_text`), with its language codes when the
        model takes language ids; every raw entry point calls it."""
        checks.check_raw_text(x, argument, self.text_rank, allow_scalar)
        raw = tf.executing_eagerly() and not isinstance(x, tf.data.Dataset)
        if self.use_language_ids and raw:
            missing = [k for k in self.language_keys if not isinstance(x, dict) or k not in x]
            if missing:
                raise ValueError(
                    f"This model takes language ids: pass `{argument}` as a dict with "
                    f"{', '.join(map(repr, missing))} (codes among {self.tokenizer.languages})."
                )

    def configure_for(self, task):
        """Match `task`: its backbone's frame and whether it takes language
        ids; a loaded tokenizer must fit its backbone
        (`preset_files.check_tokenizer_fits`)."""
        if self.tokenizer.has_vocabulary():
            check_tokenizer_fits(self.tokenizer, getattr(task, "backbone", task))
        self.frame = family(task)
        self.use_language_ids = takes_language_ids(task)

    def split_inputs(self, x):
        """`(text, text_pair or None, language or None)` of raw inputs."""
        if isinstance(x, dict):
            unknown = set(x) - set(TEXT_KEYS)
            if unknown or "text" not in x:
                raise ValueError(
                    f"Preprocessor inputs must be strings, a (text, text_pair) tuple, or a "
                    f"dict with keys {TEXT_KEYS} ('text' required). Received keys {sorted(x)}."
                )
            return x["text"], x.get("text_pair"), x.get("language")
        if isinstance(x, tuple):
            if len(x) != 2:
                raise ValueError(
                    f"A tuple input is a (text, text_pair) pair of segments; received "
                    f"{len(x)} segments."
                )
            return x[0], x[1], None
        return x, None, None

    def language_ids(self, text, language, names=("text", "language")):
        """int32 [batch] language ids of `language` (codes [batch], or one
        for all), or None when the model takes none. `names`: the text and
        language inputs as the caller names them, for the error."""
        if not self.use_language_ids:
            return None
        text_name, name = names
        if language is None:
            raise ValueError(
                "This model takes language ids: pass {'text': ..., 'language': ...} with "
                f"language codes among {self.tokenizer.languages}."
            )
        language = tf.convert_to_tensor(language, tf.string)
        if language.shape.rank == 1:
            # A server feeds tensors of any shape into [None]: check at run time.
            language = tf.ensure_shape(language, [None])
        rows, size = tf.shape(text)[0], tf.size(language)
        check = tf.debugging.Assert(
            (tf.rank(language) <= 1) & ((size == 1) | (size == rows)),
            [
                f"`{name}` must be one language code, or one per row of `{text_name}` (a "
                f"1-D list); received `{name}` of shape",
                tf.shape(language),
                f"for `{text_name}` of shape",
                tf.shape(text),
            ],
        )
        with tf.control_dependencies([check]):
            language = tf.broadcast_to(tf.reshape(language, [-1]), tf.reshape(rows, [1]))
            # Valid UTF-8 first: the unknown-code error echoes the codes.
            language = tf.strings.unicode_transcode(language, "UTF-8", "UTF-8", errors="replace")
        return self.tokenizer.language_ids(language)

    def pack(
        self,
        text,
        text_pair=None,
        language=None,
        reset_positions=False,
        pair_language=None,
        sequence_length=None,
        names=("text", "language"),
    ):
        """Tokenise and pack (`packing.pack_text`): dict of int32
        [batch, sequence_length] with `position_ids` and, when the model
        takes them, `language_ids` (`pair_language` for the second
        sentence, default `language`). `names`: of `text` and `language`
        in the caller's inputs, for errors."""
        text = tf.convert_to_tensor(text, tf.string)
        if text_pair is not None:
            text_pair = tf.convert_to_tensor(text_pair, tf.string)
        packed = pack_text(
            self.tokenizer,
            text,
            sequence_length or self.sequence_length,
            self.frame,
            text_pair=text_pair,
            language_id=self.language_ids(text, language, names),
            pair_language_id=(
                None
                if pair_language is None
                else self.language_ids(text, pair_language, (names[0], "language_pair"))
            ),
            reset_positions=reset_positions,
            language=language,
            pair_language=pair_language,
        )
        if not self.use_language_ids:
            packed.pop("language_ids", None)
        return packed

    def model_inputs(self, packed):
        """`token_ids`, `padding_mask` (+ `language_ids`) of a packed dict."""
        return model_inputs(packed, self.use_language_ids)

    def get_config(self):
        config = Preprocessor.get_config(self)
        config.update(
            {
                "sequence_length": self.sequence_length,
                "frame": self.frame,
                "use_language_ids": self.use_language_ids,
            }
        )
        return config

    @classmethod
    def _add_missing_kwargs(cls, loader, kwargs):
        """A preset without `preprocessor.json` (from `xlm-convert` or
        pretraining): frame and language ids follow its backbone (and task)."""
        kwargs = super()._add_missing_kwargs(loader, kwargs)
        backbone = loader.config["config"]
        task = {}
        if check_file_exists(loader.preset, TASK_CONFIG_FILE):
            task = load_json(loader.preset, TASK_CONFIG_FILE).get("config", {})
        has_language_embedding = uses_language_embedding(
            backbone.get("num_languages", 1), backbone.get("use_language_embedding", True)
        )
        kwargs.setdefault("frame", "roberta" if backbone.get("position_offset", 0) > 0 else "xlm")
        kwargs.setdefault(
            "use_language_ids", has_language_embedding or task.get("language_centering", False)
        )
        kwargs.setdefault("sequence_length", backbone.get("max_sequence_length", 512))
        return kwargs
