"""Bad translation configs are rejected before any compute, naming the key
and the fix."""

import json

import pytest

from xlm_keras.config_files import load_config_file
from xlm_keras.translation.config import base_mt_config
from xlm_keras.translation.config import objective_weights
from xlm_keras.translation.config import parse_directions
from xlm_keras.translation.config import validate_mt


def _error(config):
    with pytest.raises(ValueError) as error:
        validate_mt(config, "one_device")
    return str(error.value)


def test_defaults_and_the_shipped_configs_are_valid():
    mt_enfr, mt_ende, unmt_enfr, unmt_ende = (
        load_config_file(f"../../configs/{name}.py", relative_to=__file__)
        for name in ("mt_enfr", "mt_ende", "unmt_enfr", "unmt_ende")
    )
    for config in (
        base_mt_config(),
        mt_enfr.get_config(),
        mt_ende.get_config(),
        unmt_enfr.get_config(),
        unmt_ende.get_config(),
    ):
        validate_mt(config, "one_device")
    assert objective_weights(unmt_ende.get_config()) == {"ae": 1.0, "bt": 1.0}
    assert parse_directions(mt_ende.get_config().translation.directions) == [
        ("en", "de"),
        ("de", "en"),
    ]


def test_both_directions_without_language_embeddings_are_rejected(tmp_path):
    preset = tmp_path / "xlmr"
    preset.mkdir()
    (preset / "config.json").write_text(
        json.dumps(
            {
                "config": {
                    "use_language_embedding": False,
                    "num_languages": 1,
                    "max_sequence_length": 128,
                }
            }
        )
    )
    (preset / "tokenizer.json").write_text("{}")
    for init_from in (str(preset), "xlm_roberta_tiny"):
        config = base_mt_config()
        config.model.init_from = init_from
        config.model.use_language_embedding = False
        message = _error(config)
        assert "translation.directions" in message and "no language embeddings" in message
        assert "translation.directions='en-fr'" in message
        config.translation.directions = "en-fr"  # One direction is fine.
        validate_mt(config, "one_device")
        config.objectives.bt.weight = 1.0  # But not back-translation.
        message = _error(config)
        assert "objectives.bt.weight" in message and "objectives.bt.weight=0" in message
        config.objectives.bt.weight = 0.0
        config.translation.directions = "en-fr,en-de"  # en has two targets.
        assert "several targets" in _error(config)


def test_bad_values_name_their_keys(tmp_path):
    config = base_mt_config()
    config.model.init_from = str(tmp_path / "missing")
    config.translation.directions = "en-fr,english"
    config.translation.label_smoothing = 1.0
    config.translation.validation_metric = "ter"
    config.data.target_length = 4000
    config.train.eval_every = 7
    message = _error(config)
    for key in (
        "model.init_from",
        "translation.directions: 'english' is not <source>-<target>",
        "translation.label_smoothing",
        "translation.validation_metric",
        "train.eval_every",
    ):
        assert key in message
    config = base_mt_config()
    config.data.target_length = 4000
    assert "data.target_length: 4000 exceeds the xlm_tiny maximum of 128" in _error(config)


def test_languages_missing_from_the_tokenizer(tokenizer_dir):
    config = base_mt_config()
    config.data.tokenizer = tokenizer_dir
    config.translation.directions = "en-ja,ja-en"
    assert "['ja'] are not in the tokenizer" in _error(config)


def test_bad_objectives_and_noise_name_their_keys():
    config = base_mt_config()
    config.objectives.mt.weight = 0.0
    config.data.monolingual = "web"
    config.translation.word_dropout = 1.0
    config.translation.word_shuffle = -1.0
    message = _error(config)
    for key in (
        "objectives: give at least one of mt, ae, bt",
        "data.monolingual",
        "translation.word_dropout",
        "translation.word_shuffle",
    ):
        assert key in message
    config.objectives.ae.weight = -1.0
    assert "objectives.ae.weight: must be a finite number >= 0" in _error(config)


def test_bad_lambda_schedules_are_rejected_before_compute():
    config = base_mt_config()
    config.objectives.ae.weight = config.objectives.bt.weight = 1.0
    config.objectives.mt.weight = 0.0
    config.objectives.ae.lambda_schedule = "0:1,100:0.1,300:0"
    validate_mt(config, "one_device")
    config.objectives.ae.lambda_schedule = "0:1,300"
    assert "objectives.ae.lambda_schedule: '300' is not <step>:<value>" in _error(config)
    config.objectives.ae.lambda_schedule = "0:1,100:0"
    config.objectives.bt.lambda_schedule = "0:0"
    assert "every objective's lambda_schedule is 0 at step 100" in _error(config)


@pytest.mark.parametrize(
    "directions, message",
    [
        (
            "",
            "translation.directions: '' names no direction; name at least one, e.g. 'en-fr,fr-en'",
        ),
        (" , ", "translation.directions: ' , ' names no direction"),
        (
            "en-en",
            "Invalid config: translation.directions: 'en-en' is not <source>-<target> with two "
            "different language codes, e.g. 'en-fr,fr-en'",
        ),
        ("en-fr", None),
    ],
)
def test_directions_that_name_no_direction_are_refused_once(directions, message):
    config = base_mt_config()
    config.translation.directions = directions
    if message is None:
        validate_mt(config)
        return
    error = _error(config)
    assert message in error and error.count("translation.directions") == 1, error


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0])
def test_length_penalty_must_be_finite_and_not_negative(value):
    config = base_mt_config()
    config.translation.length_penalty = value
    assert "translation.length_penalty: must be a finite number >= 0" in _error(config)
