"""Presets know what they hold: a task preset that lost its task
files, a tokenizer that does not fit its model, a disagreement about the
languages, and damaged files are each refused in one line naming the file;
the languages are written in one place."""

import json
import os
import shutil

import keras
import pytest

from tests.helpers import tiny_backbone
from tests.helpers import tiny_seq2seq
from xlm_keras import XLMSeq2SeqLM
from xlm_keras import XLMSeq2SeqLMPreprocessor
from xlm_keras import XLMTextClassifier
from xlm_keras import XLMTextClassifierPreprocessor
from xlm_keras.data import corpus
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import load_model
from xlm_keras.models import train_tokenizer
from xlm_keras.models.preset_files import tokenizer_languages
from xlm_keras.serving import export


@pytest.fixture(scope="module")
def saved(tokenizer_dir, tmp_path_factory):
    """A classifier preset and a translation preset, sized to the de/en/fr
    tokenizer, and a 500-id tokenizer of the same languages."""
    keras.utils.set_random_seed(0)  # Before any tokenizer (tensorflow/text#570).
    root = tmp_path_factory.mktemp("saved")
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    size = tokenizer.vocabulary_size()
    preprocessor = XLMTextClassifierPreprocessor(tokenizer, sequence_length=16)
    classifier = XLMTextClassifier(
        tiny_backbone(size, num_languages=3), num_classes=2, preprocessor=preprocessor
    )
    classifier.save_to_preset(str(root / "classifier"))
    translator = tiny_seq2seq(size, XLMSeq2SeqLMPreprocessor(tokenizer, 16, 16), num_languages=3)
    translator.save_to_preset(str(root / "translator"))
    small = str(root / "small_tokenizer")
    files = corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "train")
    train_tokenizer(
        {code: files[code] for code in tokenizer.languages},
        small,
        vocabulary_size=500,
        languages=tokenizer.languages,
    )
    return {
        "classifier": str(root / "classifier"),
        "translator": str(root / "translator"),
        "small": small,
    }


def _copy(saved, name, tmp_path):
    directory = str(tmp_path / name)
    shutil.copytree(saved[name], directory)
    return directory


def _refused(load, error_type, *parts):
    """`load()` raises `error_type` in one line holding every part."""
    with pytest.raises(error_type) as info:
        load()
    message = str(info.value)
    assert len(message.splitlines()) == 1, message
    for part in parts:
        assert part in message, message
    return message


@pytest.mark.parametrize("loader", ["from_preset", "load_model"])
def test_a_classifier_without_its_task_weights_is_refused(saved, tmp_path, loader):
    preset = _copy(saved, "classifier", tmp_path)
    os.remove(os.path.join(preset, "task.weights.h5"))
    load = load_model if loader == "load_model" else XLMTextClassifier.from_preset
    _refused(lambda: load(preset), FileNotFoundError, "task.weights.h5 is missing", "random")
    # A new head on the backbone needs no saved head.
    assert XLMTextClassifier.from_preset(preset, num_classes=3).num_classes == 3


def test_a_task_preset_without_task_json_is_refused(saved, tmp_path):
    preset = _copy(saved, "classifier", tmp_path)
    os.remove(os.path.join(preset, "task.json"))
    for load in (load_model, XLMTextClassifier.from_preset):
        _refused(lambda load=load: load(preset), FileNotFoundError, "task.json is missing")


def test_a_translator_without_its_task_weights_is_neither_loaded_nor_exported(saved, tmp_path):
    preset = _copy(saved, "translator", tmp_path)
    os.remove(os.path.join(preset, "task.weights.h5"))
    _refused(lambda: XLMSeq2SeqLM.from_preset(preset), FileNotFoundError, "task.weights.h5")
    _refused(lambda: export(preset, str(tmp_path / "out")), FileNotFoundError, "task.weights.h5")


def test_a_tokenizer_of_another_size_is_refused(saved, tmp_path):
    preset = _copy(saved, "classifier", tmp_path)
    vocabulary = os.path.join("assets", "tokenizer", "vocabulary.spm")
    shutil.copy(os.path.join(saved["small"], vocabulary), os.path.join(preset, vocabulary))
    for load in (load_model, XLMTextClassifier.from_preset):
        _refused(
            lambda load=load: load(preset), ValueError, "vocabulary.spm gives 500", "config.json"
        )
    _refused(lambda: export(preset, str(tmp_path / "out")), ValueError, "gives 500 token ids")


def test_a_tokenizer_with_other_languages_is_refused(saved, tmp_path):
    preset = _copy(saved, "classifier", tmp_path)
    for name in ("tokenizer.json", "preprocessor.json", "task.json"):
        path = os.path.join(preset, name)
        with open(path) as f:
            text = json.dumps(json.load(f))
        with open(path, "w") as f:
            f.write(text.replace('"de", ', ""))  # Every copy of the list: en, fr.
    _refused(
        lambda: XLMTextClassifier.from_preset(preset),
        ValueError,
        "2 languages ['en', 'fr']",
        "num_languages=3",
    )


def test_languages_are_written_once_and_copies_must_agree(saved, tmp_path):
    preset = _copy(saved, "classifier", tmp_path)
    assert os.listdir(os.path.join(preset, "assets", "tokenizer")) == ["vocabulary.spm"]
    assert tokenizer_languages(preset) == ["de", "en", "fr"]
    # A preset written before: languages.json beside tokenizer.json.
    old = os.path.join(preset, "assets", "tokenizer", "languages.json")
    with open(old, "w") as f:
        json.dump(["de", "en", "fr"], f)
    assert XLMTextClassifier.from_preset(preset).preprocessor.tokenizer.languages == [
        "de",
        "en",
        "fr",
    ]
    with open(old, "w") as f:
        json.dump(["en", "de", "fr"], f)  # Edited: the ids would shift.
    _refused(
        lambda: XLMTextClassifier.from_preset(preset),
        ValueError,
        "languages.json",
        "tokenizer.json",
    )
    os.remove(old)
    tokenizer = os.path.join(preset, "tokenizer.json")
    with open(tokenizer) as f:
        config = json.load(f)
    config["config"]["languages"] = ["en", "de", "fr"]
    with open(tokenizer, "w") as f:
        json.dump(config, f)
    _refused(lambda: XLMTextClassifier.from_preset(preset), ValueError, "preprocessor.json")


@pytest.mark.parametrize(
    "name, size, error_type, says",
    [
        ("task.json", 100, ValueError, "is not valid JSON"),
        ("tokenizer.json", 0, ValueError, "is not valid JSON"),
        ("model.weights.h5", 1000, OSError, "is not a readable weights file"),
        ("task.weights.h5", 1000, OSError, "is not a readable weights file"),
        ("assets/tokenizer/vocabulary.spm", 1000, ValueError, "is not a SentencePiece model"),
    ],
)
def test_a_damaged_file_is_named(saved, tmp_path, name, size, error_type, says):
    preset = _copy(saved, "classifier", tmp_path)
    path = os.path.join(preset, name)
    with open(path, "rb") as f:
        head = f.read(size)
    with open(path, "wb") as f:
        f.write(head)
    for load in (load_model, XLMTextClassifier.from_preset, XLMTokenizer.from_preset):
        if load is XLMTokenizer.from_preset and "tokenizer" not in name:
            continue
        _refused(lambda load=load: load(preset), error_type, path, says)


def test_a_config_edited_after_saving_names_the_files(saved, tmp_path):
    preset = _copy(saved, "classifier", tmp_path)
    path = os.path.join(preset, "task.json")
    with open(path) as f:
        config = json.load(f)
    config["config"]["num_classes"] = 3
    config["config"]["label_names"] = ["a", "b", "c"]
    with open(path, "w") as f:
        json.dump(config, f)
    _refused(lambda: load_model(preset), ValueError, "task.weights.h5", "task.json")


def test_a_preset_without_its_backbone_weights_names_model_weights_h5(saved, tmp_path):
    preset = _copy(saved, "classifier", tmp_path)
    os.remove(os.path.join(preset, "model.weights.h5"))
    path = os.path.join(preset, "model.weights.h5")
    for load in (load_model, XLMTextClassifier.from_preset):
        _refused(lambda load=load: load(preset), FileNotFoundError, path, "is missing")
    _refused(
        lambda: export(preset, str(tmp_path / "export")), FileNotFoundError, path, "is missing"
    )
