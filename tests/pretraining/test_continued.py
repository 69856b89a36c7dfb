"""Continued pretraining: `model.init_from` a preset directory.

The first training batch's loss is checked against Hugging Face on the
same ids, labels and language ids (the checkpoint converted from a random
Hugging Face model); a learning rate of 0 leaves the checkpoint's weights;
resume continues the run's own checkpoints; what does not fit is refused
before compute.
"""

import os

import numpy as np
import pytest
import tensorflow as tf
import torch
import transformers

from tests.convert import reference_models as ref
from xlm_keras.convert import convert_checkpoint
from xlm_keras.data import corpus
from xlm_keras.models import XLMMaskedLM
from xlm_keras.models import XLMTextClassifier
from xlm_keras.models import XLMTokenizer
from xlm_keras.pretraining import config as config_lib
from xlm_keras.pretraining import pipelines
from xlm_keras.pretraining import run as pretrain

LANGUAGES = "en,fr"
LOSS_TOLERANCE = 1e-5


def _hf_preset(directory, hf_model):
    """Save `hf_model` with a tiny SentencePiece model, convert it; returns
    the preset directory."""
    hf_dir = directory / "hf"
    hf_model.save_pretrained(hf_dir)
    ref.write_sentencepiece(hf_dir)
    convert_checkpoint("hf", str(hf_dir), str(directory / "preset"))
    return str(directory / "preset")


@pytest.fixture(scope="module")
def xlm_roberta(tmp_path_factory):
    """(Hugging Face XLMRobertaForMaskedLM, its converted preset)."""
    config = ref.xlm_roberta_config(vocab_size=52)  # 50 pieces + <pad> + <mask>.
    hf_model = ref.randomize(transformers.XLMRobertaForMaskedLM(config))
    return hf_model, _hf_preset(tmp_path_factory.mktemp("xlmr"), hf_model)


@pytest.fixture(scope="module")
def xlm(tmp_path_factory):
    """(Hugging Face XLMWithLMHeadModel with en/fr/de embeddings, its
    converted preset)."""
    config = ref.xlm_config(
        vocab_size=52, lang2id={"de": 0, "en": 1, "fr": 2}, id2lang={0: "de", 1: "en", 2: "fr"}
    )
    hf_model = ref.randomize(transformers.XLMWithLMHeadModel(config))
    return hf_model, _hf_preset(tmp_path_factory.mktemp("xlm"), hf_model)


def _config(init_from, **data):
    config = config_lib.base_config()
    config.model.init_from = init_from
    config.model.dropout = 0.0
    config.data.update(dict(dict(languages=LANGUAGES, sequence_length=16, batch_size=4), **data))
    config.train.update(num_steps=1, steps_per_execution=1, checkpoint_every=1)
    config.optimizer.warmup_steps = 1
    return config


def _scalar(workdir, tag, step):
    """A TensorBoard scalar the run wrote."""
    directory = os.path.join(workdir, "tensorboard")
    for name in os.listdir(directory):
        for event in tf.compat.v1.train.summary_iterator(os.path.join(directory, name)):
            for value in event.summary.value:
                if value.tag == tag and event.step == step:
                    return float(tf.make_ndarray(value.tensor))
    raise KeyError(tag)


def _first_batch(config):
    """The run's first MLM batch, rebuilt from its pipeline."""
    tokenizer = XLMTokenizer.from_preset(config.model.init_from)
    languages = sorted(LANGUAGES.split(","))
    names = list(tokenizer.languages) if pretrain.uses_language_ids(config) else languages
    spec = pretrain.pipeline_spec(config, tokenizer, names)
    dataset = pipelines.mlm_dataset(
        spec, corpus.SAMPLE_CORPUS_DIR, languages, config.objectives.mlm.alpha
    )
    return next(iter(dataset))


def _hf_loss(hf_model, batch, position_offset):
    """Hugging Face's mean loss over the batch's targets (labels -100
    elsewhere), on the same ids, positions and language ids."""
    x = batch["x"]
    token_ids = x["token_ids"].numpy()
    labels = np.full(token_ids.shape, -100)
    positions = x["mask_positions"].numpy()
    weights = batch["sample_weight"].numpy()
    for row, column in zip(*np.nonzero(weights)):
        labels[row, positions[row, column]] = batch["labels"].numpy()[row, column]
    inputs = {
        "input_ids": torch.tensor(token_ids, dtype=torch.long),
        "attention_mask": torch.tensor(x["padding_mask"].numpy(), dtype=torch.long),
        "position_ids": torch.tensor(x["position_ids"].numpy() + position_offset),
        "labels": torch.tensor(labels),
    }
    if "language_ids" in x:
        inputs["langs"] = torch.tensor(x["language_ids"].numpy(), dtype=torch.long)
    with torch.no_grad():
        return float(hf_model(**inputs).loss)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["xlm_roberta", "xlm"])
def test_first_step_loss_is_the_checkpoints(family, request, tmp_path):
    hf_model, preset = request.getfixturevalue(family)
    config = _config(preset)
    config_lib.validate(config)
    pretrain.run(config, str(tmp_path))
    ours = _scalar(str(tmp_path), "mlm/loss", 1)
    expected = _hf_loss(hf_model, _first_batch(config), 2 if family == "xlm_roberta" else 0)
    assert abs(ours - expected) <= LOSS_TOLERANCE, (ours, expected)


def _weights(model):
    return {w.path: w.numpy() for w in model.weights if "seed_generator" not in w.path}


@pytest.mark.slow
def test_learning_rate_zero_keeps_the_checkpoints_weights(xlm_roberta, tmp_path):
    _, preset = xlm_roberta
    config = _config(preset)
    config.train.update(num_steps=3, checkpoint_every=3)
    config.optimizer.learning_rate = 0.0  # The config check wants > 0: run directly.
    pretrain.run(config, str(tmp_path))
    before = _weights(XLMMaskedLM.from_preset(preset))
    after = _weights(XLMMaskedLM.from_preset(str(tmp_path / "preset")))
    assert before.keys() == after.keys()
    for path, value in before.items():
        np.testing.assert_array_equal(after[path], value, err_msg=path)


@pytest.mark.slow
def test_continued_run_writes_a_preset_with_the_checkpoints_tokenizer(xlm_roberta, tmp_path):
    _, preset = xlm_roberta
    config = _config(preset, languages="")  # Every corpus language: XLM-R takes any.
    config.train.update(num_steps=2, checkpoint_every=2)
    config_lib.validate(config)
    pretrain.run(config, str(tmp_path))
    assert not (tmp_path / "tokenizer").exists()  # No SentencePiece model trained.
    for name in ("tokenizer.json", "assets/tokenizer/vocabulary.spm"):
        with (
            open(os.path.join(preset, name), "rb") as a,
            open(tmp_path / "preset" / name, "rb") as b,
        ):
            assert a.read() == b.read(), name
    model = XLMMaskedLM.from_preset(str(tmp_path / "preset"))
    assert model.preprocessor.tokenizer.id_convention == "fairseq"
    assert model.fill_mask(["Hello <mask>!"], top_k=1)


@pytest.mark.slow
def test_resume_continues_the_runs_own_checkpoints(xlm_roberta, tmp_path):
    """Two steps, then resumed to four, equals four steps in one go; the
    optimizer starts fresh (the warm-up's first learning rate at step 1)."""
    _, preset = xlm_roberta

    def config(num_steps):
        c = _config(preset)
        c.model.dropout = 0.1  # Dropout's state is resumed too.
        c.optimizer.update(decay="constant", warmup_steps=2, learning_rate=1e-2)
        c.train.update(num_steps=num_steps, checkpoint_every=1)
        return c

    whole = pretrain.run(config(4), str(tmp_path / "whole"))
    pretrain.run(config(2), str(tmp_path / "resumed"))
    resumed = pretrain.run(config(4), str(tmp_path / "resumed"))
    assert _scalar(str(tmp_path / "whole"), "learning_rate", 1) == pytest.approx(1e-2 * 1 / 2)
    checkpoint = _weights(XLMMaskedLM.from_preset(preset))
    expected, got = _weights(whole), _weights(resumed)
    assert any(not np.array_equal(got[path], checkpoint[path]) for path in checkpoint)
    for path, value in expected.items():
        np.testing.assert_allclose(got[path], value, rtol=0, atol=1e-6, err_msg=path)


def _refusal(config):
    with pytest.raises(ValueError) as error:
        config_lib.validate(config)
    return str(error.value)


def test_model_preset_is_refused_naming_init_from():
    config = config_lib.base_config()
    config.model.preset = "xlm_small"
    assert _refusal(config) == (
        "Invalid config: model.preset: was renamed model.init_from; pass "
        "--config.model.init_from=xlm_small"
    )


def test_a_head_that_does_not_fit_the_objective_is_refused(pretrained, tmp_path):
    clm = _config(pretrained)  # An XLMMaskedLM preset.
    clm.objectives.mlm.weight = 0.0
    clm.objectives.clm.weight = 1.0
    assert f"{pretrained} holds XLMMaskedLM, but CLM continues an XLMCausalLM" in _refusal(clm)
    classifier = XLMTextClassifier.from_preset(pretrained, num_classes=2)
    classifier.save_to_preset(str(tmp_path / "classifier"))
    message = _refusal(_config(str(tmp_path / "classifier")))
    assert "holds XLMTextClassifier, but MLM and TLM continue an XLMMaskedLM" in message


def test_another_tokenizer_is_refused_naming_both(pretrained, xlm_roberta):
    _, other = xlm_roberta
    message = _refusal(_config(pretrained, tokenizer=other))
    assert f"data.tokenizer: {other} is another tokenizer than model.init_from {pretrained}'s" in (
        message
    )
    config_lib.validate(_config(pretrained, tokenizer=pretrained))  # The same one is fine.


def test_languages_without_an_embedding_are_refused(pretrained):
    message = _refusal(_config(pretrained, languages="en,sw,fr,zh"))  # It knows de, en, fr.
    assert (
        "data.languages: ['sw', 'zh'] have no language embedding in "
        f"{pretrained}, whose languages are ['de', 'en', 'fr']"
    ) in message
    every = _refusal(_config(pretrained, languages=""))  # The whole bundled corpus.
    assert "'zh'] have no language embedding" in every


def test_a_sequence_beyond_the_checkpoints_positions_is_refused(xlm_roberta):
    _, preset = xlm_roberta  # 32 positions.
    message = _refusal(_config(preset, sequence_length=33))
    assert f"data.sequence_length: 33 exceeds the {preset} maximum of 32 positions" in message


def test_a_preset_without_a_tokenizer_is_refused(tmp_path):
    XLMMaskedLM.from_preset("xlm_roberta_tiny").save_to_preset(str(tmp_path))
    message = _refusal(_config(str(tmp_path)))
    assert "has no tokenizer (tokenizer.json)" in message


def test_refusals_come_before_the_run_builds_anything(pretrained, tmp_path):
    """`run` alone (no config check) refuses a language without an
    embedding too, before a tokenizer is trained or a model built."""
    config = _config(pretrained, languages="en,es")
    with pytest.raises(ValueError, match=r"\['es'\] are not in the tokenizer"):
        pretrain.run(config, str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()
