"""What a preset directory must hold, and reading its files.

A preset directory (keras-hub's layout) holds `config.json` and
`model.weights.h5` (the backbone), for a task `task.json` and
`task.weights.h5` (its head), for a tokenizer `tokenizer.json` (with the
language list, the one place it is kept) and
`assets/tokenizer/vocabulary.spm`, and `metadata.json`,
where `save_to_preset` of an XLM task records the task's class
(`record_task`). Loading checks the directory first, so that a damaged or
incomplete preset is refused in one line naming the file and the fix,
instead of loading with a random head or failing inside a parser:

- `check_files`: every JSON file parses, every `.h5` file opens, the
  SentencePiece model parses.
- `check_task_files`: a task preset has its `task.json` and
  `task.weights.h5`.
- `check_tokenizer_fits`: the tokenizer has the model's vocabulary size and
  language count.
"""

import contextlib
import glob
import json
import os
import types

import h5py
import keras
import sentencepiece

from xlm_keras.layers.xlm_embedding import uses_language_embedding

CONFIG_FILE = "config.json"
MODEL_WEIGHTS_FILE = "model.weights.h5"
# keras-hub's index of sharded backbone weights, which it reads instead.
SHARDED_WEIGHTS_FILE = "model.weights.json"
METADATA_FILE = "metadata.json"
TASK_FILE = "task.json"
TASK_WEIGHTS_FILE = "task.weights.h5"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_ASSETS = os.path.join("assets", "tokenizer")
VOCABULARY_FILE = "vocabulary.spm"
# Where presets written before the languages moved into `tokenizer.json`
# also listed them.
LANGUAGES_FILE = "languages.json"
# The key of `metadata.json` that names the saved task's class.
TASK_KEY = "xlm_keras_task"
_DAMAGED = (
    "the preset is damaged: copy the file again from where the preset was written, or "
    "write the preset again (save_to_preset, xlm-convert, xlm-train)"
)


def read_json(path):
    """A preset file's JSON; a file that is not JSON raises `ValueError`
    naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}); {_DAMAGED}.") from None


def check_files(preset_dir):
    """Raise, naming the file, if a JSON file of the preset does not parse
    (`ValueError`), a model preset lacks its backbone weights
    (`FileNotFoundError`), a weights file does not open (`OSError`) or the
    SentencePiece model does not parse (`ValueError`)."""
    if not isinstance(preset_dir, str) or not os.path.isdir(preset_dir):
        return  # Not a local directory: keras-hub reports it.
    if os.path.isfile(os.path.join(preset_dir, CONFIG_FILE)) and not any(
        os.path.isfile(os.path.join(preset_dir, name))
        for name in (MODEL_WEIGHTS_FILE, SHARDED_WEIGHTS_FILE)
    ):
        raise FileNotFoundError(
            f"{os.path.join(preset_dir, MODEL_WEIGHTS_FILE)} is missing: the preset has "
            f"{CONFIG_FILE} but not the backbone's weights; {_DAMAGED}."
        )
    assets = os.path.join(preset_dir, TOKENIZER_ASSETS)
    for path in sorted(glob.glob(os.path.join(preset_dir, "*.json"))) + sorted(
        glob.glob(os.path.join(assets, "*.json"))
    ):
        read_json(path)
    for path in sorted(glob.glob(os.path.join(preset_dir, "*.h5"))):
        try:
            with h5py.File(path, "r"):
                pass
        except OSError as error:
            raise OSError(f"{path} is not a readable weights file ({error}); {_DAMAGED}.") from None
    vocabulary = os.path.join(assets, VOCABULARY_FILE)
    if os.path.isfile(vocabulary):
        with open(vocabulary, "rb") as f:
            proto = f.read()
        try:
            sentencepiece.SentencePieceProcessor(model_proto=proto)
        except (RuntimeError, OSError, ValueError) as error:
            raise ValueError(
                f"{vocabulary} is not a SentencePiece model ({str(error).splitlines()[0]}); "
                f"{_DAMAGED}."
            ) from None


@contextlib.contextmanager
def loading_weights(preset_dir):
    """Around loading a preset's weights: Keras' "N objects could not be
    loaded" (a config edited after saving, or weights of another model)
    re-raised as one line naming the preset's files."""
    try:
        yield
    except ValueError as error:
        if "could not be loaded" not in str(error):
            raise
        detail = [line.strip() for line in str(error).splitlines() if line.strip()]
        raise ValueError(
            f"The weights in {preset_dir} (model.weights.h5, task.weights.h5) do not fit "
            f"its config (config.json, task.json): {' '.join(detail[:3])} The config was "
            "edited after saving, or the weights belong to another model: write the preset "
            "again."
        ) from None


def in_current_policy(kwargs):
    """`from_preset` keyword arguments that load the model in Keras' current
    dtype policy unless `dtype` is given. keras-hub does so for a preset
    saved in a float dtype, but fails on one saved under a mixed policy
    ("Invalid dtype: mixed_bfloat16"), as a `train.mixed_precision` run
    saves it."""
    return {"dtype": keras.config.dtype_policy(), **kwargs}


def saved_task_name(preset_dir):
    """Class name of the task in a preset directory's `task.json`, or None
    when it has none."""
    path = os.path.join(preset_dir, TASK_FILE) if isinstance(preset_dir, str) else ""
    if not os.path.isfile(path):
        return None
    return read_json(path).get("class_name", "").split(">")[-1] or None


def recorded_task(preset_dir):
    """The task class name that `record_task` wrote, or None (a backbone
    preset, or one written before presets recorded their task)."""
    path = os.path.join(preset_dir, METADATA_FILE) if isinstance(preset_dir, str) else ""
    if not os.path.isfile(path):
        return None
    return read_json(path).get(TASK_KEY)


def record_task(preset_dir, task_name):
    """Write the task's class into the preset's `metadata.json` (which
    keras-hub writes with the backbone), so that loading can tell a lost
    `task.json` from a backbone preset."""
    path = os.path.join(preset_dir, METADATA_FILE)
    metadata = read_json(path) if os.path.isfile(path) else {}
    metadata[TASK_KEY] = task_name
    with open(path, "w", encoding="utf-8") as f:
        json.dump(metadata, f, indent=4)


def agreed_languages(languages, languages_file, config_file):
    """The language list of a tokenizer whose config (`config_file`) lists
    `languages`, given an older preset's `languages_file` (presets used to
    write the list there too): the config's, or the file's where the config
    has none; a disagreement raises `ValueError` naming both files."""
    if not os.path.isfile(languages_file):
        return list(languages)
    listed = read_json(languages_file)
    if not languages:
        return listed
    if listed != list(languages):
        raise ValueError(
            f"{languages_file} lists languages {listed} but {config_file} lists "
            f"{list(languages)}: the language ids would depend on the file read. The "
            f"languages live in {os.path.basename(config_file)}; delete "
            f"{os.path.basename(languages_file)} (or make the two agree)."
        )
    return listed


def tokenizer_languages(preset_dir):
    """Language codes of a preset's tokenizer, read without loading it
    (`agreed_languages`); None when the preset has no `tokenizer.json`."""
    config_file = os.path.join(preset_dir, TOKENIZER_FILE)
    if not os.path.isfile(config_file):
        return None
    languages = read_json(config_file).get("config", {}).get("languages") or []
    return agreed_languages(
        languages, os.path.join(preset_dir, TOKENIZER_ASSETS, LANGUAGES_FILE), config_file
    )


def check_task_files(preset_dir, task_name=None):
    """Refuse a preset directory that lost a file of its task: `task.json`
    (`metadata.json` records the task) or `task.weights.h5` (`task.json`
    holds the task). Without them the head would load with random weights.

    Args:
        preset_dir: a preset directory.
        task_name: the task class being loaded; None: the preset's own.
    """
    if not isinstance(preset_dir, str) or not os.path.isdir(preset_dir):
        return
    recorded, saved = recorded_task(preset_dir), saved_task_name(preset_dir)
    task_name = task_name or recorded or saved
    if saved is None and recorded is not None and recorded == task_name:
        raise FileNotFoundError(
            f"{os.path.join(preset_dir, TASK_FILE)} is missing: {METADATA_FILE} records an "
            f"{recorded}, whose head would load with random weights. Copy {TASK_FILE} back "
            f"from where the preset was written, or save it again ({recorded}.save_to_preset)."
        )
    if saved is not None and saved == task_name:
        weights = os.path.join(preset_dir, TASK_WEIGHTS_FILE)
        if not os.path.isfile(weights):
            raise FileNotFoundError(
                f"{weights} is missing: {TASK_FILE} holds an {saved}, whose head would load "
                f"with random weights. Copy {TASK_WEIGHTS_FILE} back from where the preset "
                f"was written, or save it again ({saved}.save_to_preset)."
            )


def saved_backbone(preset_dir):
    """What `check_tokenizer_fits` reads of a preset's backbone, from its
    `config.json` (without building it): `vocabulary_size`,
    `num_languages` and `has_language_embedding` (several languages and
    `use_language_embedding`, as `XLMBackbone` builds them)."""
    config = read_json(os.path.join(preset_dir, CONFIG_FILE)).get("config", {})
    num_languages = config.get("num_languages", 1)
    return types.SimpleNamespace(
        vocabulary_size=config.get("vocabulary_size"),
        num_languages=num_languages,
        has_language_embedding=uses_language_embedding(
            num_languages, config.get("use_language_embedding", True)
        ),
    )


def check_tokenizer_fits(tokenizer, backbone, preset_dir=None):
    """Refuse a tokenizer that does not belong to the model: one whose ids
    are not the model's token rows, or whose language list is not the
    model's language embeddings.

    A `"native"` tokenizer (`train_tokenizer`) gives exactly the model's
    rows; a `"fairseq"` one (a converted XLM-R checkpoint) at most (XL and
    XXL publish more rows than their SentencePiece model has ids). A model
    with language embeddings needs one code per embedding.
    """
    where = (
        (
            os.path.join(preset_dir, TOKENIZER_ASSETS, tokenizer.file_assets[0]),
            os.path.join(preset_dir, CONFIG_FILE),
        )
        if isinstance(preset_dir, str)
        else ("the tokenizer", "the model")
    )
    ids, rows = tokenizer.vocabulary_size(), backbone.vocabulary_size
    fits = ids <= rows if tokenizer.id_convention == "fairseq" else ids == rows
    if not fits:
        raise ValueError(
            f"The tokenizer does not belong to this model: {where[0]} gives {ids} token ids "
            f"but {where[1]} has vocabulary_size={rows}. Use the tokenizer the model was "
            "trained with (or train the model on this tokenizer)."
        )
    if backbone.has_language_embedding and len(tokenizer.languages) != backbone.num_languages:
        source = (
            os.path.join(preset_dir, TOKENIZER_FILE)
            if isinstance(preset_dir, str)
            else "the tokenizer"
        )
        raise ValueError(
            f"The tokenizer does not belong to this model: {source} lists "
            f"{len(tokenizer.languages)} languages {list(tokenizer.languages)} but {where[1]} "
            f"has num_languages={backbone.num_languages} language embeddings. Use the "
            "tokenizer the model was trained with; its language list gives the ids."
        )
