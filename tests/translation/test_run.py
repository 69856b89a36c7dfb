"""`xlm-train` on a translation config: a few steps of both directions from
a pretrained tiny preset write checkpoints, resume to the weights of a run
that was never stopped, keep the best preset by validation BLEU (a seq2seq
preset that translates), and report BLEU/chrF; the shipped configs that train
their tokenizer on the bundled sample ask for a vocabulary it supports."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import sacrebleu
import tensorflow as tf

from tests.helpers import assert_bfloat16_compute_float32_variables
from tests.helpers import trained_models
from xlm_keras import XLMSeq2SeqLM
from xlm_keras.config_files import load_config_file
from xlm_keras.data.corpus import SAMPLE_CORPUS_DIR
from xlm_keras.training import trainer
from xlm_keras.training.tokenizer_setup import load_or_train_tokenizer
from xlm_keras.translation import run as translation
from xlm_keras.translation.config import base_mt_config
from xlm_keras.translation.config import parse_directions
from xlm_keras.translation.config import validate_mt
from xlm_keras.translation.evaluation import corpus_scores
from xlm_keras.translation.pipelines import evaluation_pairs


def _config(pretrained, corpus_dir, num_steps):
    config = base_mt_config()
    config.model.init_from = pretrained
    config.model.num_decoder_layers = 1
    config.data.corpus_dir = corpus_dir
    config.data.update(source_length=16, target_length=12, batch_size=4)
    config.translation.update(validation_pairs=2, num_beams=2, validation_metric="chrf")
    # A constant rate after warm-up: the schedule does not depend on num_steps,
    # so 2 steps then 2 more are the same updates as 4 steps in one run.
    config.optimizer.update(warmup_steps=2, decay="constant")
    config.train.update(
        num_steps=num_steps, steps_per_execution=2, eval_every=2, checkpoint_every=2
    )
    return config


def _checkpoint(workdir, step):
    """The variables (model, optimizer, dropout state) of the run's latest
    checkpoint, which must be `step`'s; not the input iterators' states
    (`input/...`, variant tensors that cannot be read as arrays)."""
    path = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    assert path.endswith(f"-{step}"), path
    return {
        name: tf.train.load_variable(path, name)
        for name, _ in tf.train.list_variables(path)
        if "OBJECT_GRAPH" not in name and not name.startswith("input/")
    }


@pytest.mark.slow
def test_train_resume_keep_best_and_report(pretrained, corpus_dir, tmp_path, monkeypatch):
    reference = str(tmp_path / "reference")
    config = _config(pretrained, corpus_dir, 4)
    config.translation.eval_split = ""
    translation.run(config, reference, "one_device")

    workdir = str(tmp_path / "mt")
    config = _config(pretrained, corpus_dir, 2)
    config.translation.eval_split = ""  # No report yet.
    validate_mt(config, "one_device", workdir)
    assert translation.run(config, workdir, "one_device") is None
    assert tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")).endswith("-2")
    assert os.path.isfile(os.path.join(workdir, "preset", "task.json"))

    config.train.num_steps = 4  # Resumes at step 2.
    config.translation.eval_split = "test"
    logged = []
    monkeypatch.setattr(
        trainer.logging, "info", lambda message, *args: logged.append(message % args)
    )
    report = translation.run(config, workdir, "one_device")
    monkeypatch.undo()
    assert any(line.startswith("Resumed from") and line.endswith("at step 2") for line in logged)
    expected, actual = _checkpoint(reference, 4), _checkpoint(workdir, 4)
    assert expected.keys() == actual.keys() and len(expected) > 50
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)
    with open(os.path.join(workdir, translation.REPORT_FILE), encoding="utf-8") as f:
        assert json.load(f) == report
    assert sorted(report["directions"]) == ["en-fr", "fr-en"]
    assert report["decodings"] == ["greedy", "beam2"]
    assert report["directions"]["en-fr"]["pairs"] == 6
    # The copy baseline scores the sources as translations.
    sources, references = evaluation_pairs(corpus_dir, "test", ("en", "fr"))
    assert report["directions"]["en-fr"]["copy"] == corpus_scores(sources, references)[0]
    assert report["signatures"]["bleu"].startswith("nrefs:1|")
    # The texts behind the scores, one per line, rescored independently.
    texts = os.path.join(workdir, translation.TEXTS_DIR)
    for decoding in ("greedy", "beam2"):
        with open(os.path.join(texts, f"test.en-fr.{decoding}.txt"), encoding="utf-8") as f:
            hypotheses = f.read().splitlines()
        assert len(hypotheses) == 6
        bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
        assert bleu == pytest.approx(report["directions"]["en-fr"][decoding]["bleu"])
    with open(os.path.join(texts, "test.fr-en.source.txt"), encoding="utf-8") as f:
        assert f.read().splitlines() == [" ".join(r.split()) for r in references]
    events = os.listdir(os.path.join(workdir, "tensorboard"))
    assert events

    best = XLMSeq2SeqLM.from_preset(os.path.join(workdir, "preset"))
    assert best.preprocessor.use_language_ids
    output = best.generate(
        {"source": "Open the file.", "source_language": "en", "target_language": "fr"}, max_length=8
    )
    assert isinstance(output, str)

    # xlm-eval reports the same numbers for the same direction and decodings.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlm_keras.cli.eval",
            f"--workdir={workdir}",
            f"--corpus_dir={corpus_dir}",
            "--directions=en-fr",
            "--num_beams=2",
            f"--output_json={tmp_path / 'eval.json'}",
            f"--translations_dir={tmp_path / 'texts'}",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| en-fr | 6 |" in result.stdout and "sacrebleu bleu: nrefs:1|" in result.stdout
    with open(tmp_path / "eval.json", encoding="utf-8") as f:
        assert json.load(f)["directions"]["en-fr"] == report["directions"]["en-fr"]
    # ... from the same strings.
    for decoding in ("greedy", "beam2"):
        name = f"test.en-fr.{decoding}.txt"
        with open(os.path.join(texts, name), encoding="utf-8") as f:
            assert (tmp_path / "texts" / name).read_text(encoding="utf-8") == f.read()


def test_validation_pairs_holding_out_the_whole_file_is_refused_before_compute(
    corpus_dir, tmp_path
):
    config = base_mt_config()
    config.data.corpus_dir = corpus_dir
    config.translation.validation_pairs = 24  # Every pair of the train files.
    workdir = tmp_path / "mt"
    validate_mt(config, "one_device", str(workdir))
    with pytest.raises(ValueError, match="validation_pairs=24 holds out every pair of en-fr"):
        translation.run(config, str(workdir), "one_device")
    assert not workdir.exists()  # No tokenizer trained, no model built.


@pytest.mark.parametrize("name", ["mt_enfr", "mt_ende", "unmt_enfr", "unmt_ende"])
def test_a_shipped_config_trains_its_tokenizer_on_the_bundled_sample(name, tmp_path):
    """Without `model.init_from` a preset directory, the run trains a
    tokenizer of `data.vocabulary_size` pieces on the corpus (the bundled
    sample here, as the config's docstring runs it)."""
    config = load_config_file(f"../../configs/{name}.py", relative_to=__file__).get_config()
    languages = sorted(
        {code for pair in parse_directions(config.translation.directions) for code in pair}
    )
    tokenizer = load_or_train_tokenizer(
        config, SAMPLE_CORPUS_DIR, languages, str(tmp_path), chief=True
    )
    assert tokenizer.vocabulary_size() == config.data.vocabulary_size


@pytest.mark.slow
def test_translation_trains_in_bfloat16(pretrained, corpus_dir, tmp_path, monkeypatch):
    models = trained_models(translation, monkeypatch)
    config = _config(pretrained, corpus_dir, num_steps=2)
    config.translation.eval_split = ""
    config.train.mixed_precision = "mixed_bfloat16"
    translation.run(config, str(tmp_path / "mt"), "one_device")
    assert_bfloat16_compute_float32_variables(models[0])
