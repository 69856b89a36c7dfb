"""`XLMPreprocessor`: what every XLM task preprocessor shares.

Raw inputs come in one of three shapes:
    strings: str, list of str or tf.string [batch];
    a dict with `text`, optional `text_pair` and `language` (ISO codes,
        one per row or one for the batch);
    a tuple `(text, text_pair)` with labels (`preprocessor((a, b), y)`, or
        `((a, b), y)` elements of a `tf.data.Dataset`): a 2-tuple alone is
        read as `(x, y)`, as keras-hub reads it.
"""

import keras
import tensorflow as tf
from keras_hub.models import Preprocessor
from keras_hub.src.utils.preset_utils import TASK_CONFIG_FILE
from keras_hub.src.utils.preset_utils import check_file_exists
from keras_hub.src.utils.preset_utils import load_json
from keras_hub.src.utils.tensor_utils import convert_preprocessing_inputs

from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_backbone import family
from xlm_keras.models.xlm_backbone import takes_language_ids
from xlm_keras.models.xlm_tokenizer import XLMTokenizer
from xlm_keras.text.packing import FRAMES
from xlm_keras.text.packing import model_inputs
from xlm_keras.text.packing import pack_text

TEXT_KEYS = ("text", "text_pair", "language")


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

    def __call__(self, x, *args, **kwargs):
        if isinstance(x, dict):
            # Keras refuses dicts mixing tensors and Python values (a
            # language code given once for a batch of tensors).
            x = {key: _as_tensor(value) for key, value in x.items() if value is not None}
        return super().__call__(x, *args, **kwargs)

    def configure_for(self, task):
        """Match `task`: its backbone's frame and whether it takes language ids."""
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

    def language_ids(self, text, language):
        """int32 [batch] language ids of `language` (codes, one per row or
        one for all), or None when the model takes none."""
        if not self.use_language_ids:
            return None
        if language is None:
            raise ValueError(
                "This model takes language ids: pass {'text': ..., 'language': ...} with "
                f"language codes among {self.tokenizer.languages}."
            )
        language = tf.convert_to_tensor(language, tf.string)
        if language.shape.rank == 0:
            language = tf.fill(tf.shape(text)[:1], language)
        check = tf.debugging.assert_equal(
            tf.size(language),
            tf.shape(text)[0],
            message="`language` needs one language code per `text` (or one for all).",
        )
        with tf.control_dependencies([check]):
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
    ):
        """Tokenise and pack (`packing.pack_text`): dict of int32
        [batch, sequence_length] with `position_ids` and, when the model
        takes them, `language_ids` (`pair_language` for the second
        sentence, default `language`)."""
        text = tf.convert_to_tensor(text, tf.string)
        if text_pair is not None:
            text_pair = tf.convert_to_tensor(text_pair, tf.string)
        packed = pack_text(
            self.tokenizer,
            text,
            sequence_length or self.sequence_length,
            self.frame,
            text_pair=text_pair,
            language_id=self.language_ids(text, language),
            pair_language_id=(
                None if pair_language is None else self.language_ids(text, pair_language)
            ),
            reset_positions=reset_positions,
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
        has_language_embedding = (
            backbone.get("use_language_embedding", True) and backbone.get("num_languages", 1) > 1
        )
        kwargs.setdefault("frame", "roberta" if backbone.get("position_offset", 0) > 0 else "xlm")
        kwargs.setdefault(
            "use_language_ids", has_language_embedding or task.get("language_centering", False)
        )
        kwargs.setdefault("sequence_length", backbone.get("max_sequence_length", 512))
        return kwargs
