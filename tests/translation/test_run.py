"""`xlm-train` on a translation config: a few steps of both directions from
a pretrained tiny preset write checkpoints, resume, keep the best preset by
validation BLEU (a seq2seq preset that translates), and report BLEU/chrF."""

import json
import os
import subprocess
import sys

import pytest
import sacrebleu
import tensorflow as tf

from xlm_keras import XLMSeq2SeqLM
from xlm_keras.translation import run as translation
from xlm_keras.translation.config import base_mt_config
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
    config.optimizer.warmup_steps = 2
    config.train.update(
        num_steps=num_steps, steps_per_execution=2, eval_every=2, checkpoint_every=2
    )
    return config


@pytest.mark.slow
def test_train_resume_keep_best_and_report(pretrained, corpus_dir, tmp_path):
    workdir = str(tmp_path / "mt")
    config = _config(pretrained, corpus_dir, 2)
    config.translation.eval_split = ""  # No report yet.
    validate_mt(config, "one_device", workdir)
    assert translation.run(config, workdir, "one_device") is None
    assert tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")).endswith("-2")
    assert os.path.isfile(os.path.join(workdir, "preset", "task.json"))

    config.train.num_steps = 4  # Resumes at step 2.
    config.translation.eval_split = "test"
    report = translation.run(config, workdir, "one_device")
    assert tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")).endswith("-4")
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
