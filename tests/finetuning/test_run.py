"""Fine-tuning end to end on a slice of the bundled help-topic task: the best
preset is kept with its label names and tokenizer, the zero-shot report is
written (JSON, TensorBoard), early stopping and resume behave."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import assert_bfloat16_compute_float32_variables
from tests.helpers import sized_config
from tests.helpers import trained_models
from xlm_keras import XLMBackbone
from xlm_keras import XLMMaskedLM
from xlm_keras import XLMTextClassifier
from xlm_keras.finetuning import evaluation as task_evaluation
from xlm_keras.finetuning import run as finetune
from xlm_keras.finetuning.config import base_finetune_config
from xlm_keras.finetuning.config import validate_finetune
from xlm_keras.finetuning.task_data import SAMPLE_TASK_DIR
from xlm_keras.finetuning.task_data import open_task_data
from xlm_keras.finetuning.task_pipelines import TaskSpec
from xlm_keras.finetuning.task_pipelines import preprocessor_for
from xlm_keras.finetuning.task_pipelines import task_dataset
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import load_model

pytestmark = pytest.mark.slow  # Fine-tuning runs.

LINES = {"train": 64, "validation": 16, "test": 16}


@pytest.fixture(scope="module")
def task_dir(tmp_path_factory):
    """The first lines of help_topic: train en; validation and test de/en/fr."""
    directory = tmp_path_factory.mktemp("task")
    for name in os.listdir(SAMPLE_TASK_DIR):
        split, language = name.split(".")[:2]
        if name == "manifest.json" or (
            language in ("de", "en", "fr") and (split != "train" or language == "en")
        ):
            with open(os.path.join(SAMPLE_TASK_DIR, name), encoding="utf-8") as f:
                lines = f.readlines() if name != "manifest.json" else [f.read()]
            with open(directory / name, "w", encoding="utf-8") as f:
                f.writelines(lines[: LINES.get(split, None)])
    return str(directory)


def _config(pretrained, task_dir, **train):
    config = base_finetune_config()
    config.model.init_from = pretrained
    config.task.data = task_dir
    config.task.validation_languages = "en,de"
    config.data.sequence_length = 32
    config.data.batch_size = 8
    config.optimizer.learning_rate = 1e-3
    config.optimizer.head_learning_rate = 1e-2
    config.optimizer.warmup_steps = 2
    config.train.update(
        dict(num_steps=20, steps_per_execution=5, eval_every=10, checkpoint_every=10, patience=0),
        **train,
    )
    validate_finetune(config)
    return config


def test_finetune_keeps_the_best_preset_and_reports_every_language(pretrained, task_dir, tmp_path):
    report = finetune.run(_config(pretrained, task_dir), str(tmp_path))

    model = load_model(str(tmp_path / "preset"))
    assert isinstance(model, XLMTextClassifier)
    assert model.label_names == ["writer", "calc", "impress_draw", "basic", "math"]
    assert os.path.isfile(tmp_path / "preset" / "tokenizer.json")
    assert sorted(report["languages"]) == ["de", "en", "fr"]
    assert report["baselines"]["uniform"] == pytest.approx(0.2)
    assert 0.2 <= report["baselines"]["majority_class"] <= 1
    for metrics in report["languages"].values():
        assert metrics["examples"] == LINES["test"] and 0 <= metrics["accuracy"] <= 1
    with open(tmp_path / finetune.REPORT_FILE) as f:
        assert json.load(f)["languages"] == report["languages"]
    events = [n for n in os.listdir(tmp_path / "tensorboard") if n.startswith("events")]
    assert events

    # xlm-eval on the fine-tuned preset reproduces the report.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlm_keras.cli.eval",
            f"--workdir={tmp_path}",
            f"--task_data={task_dir}",
            "--task_sequence_length=32",
            f"--output_json={tmp_path / 'eval.json'}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| average without en |" in result.stdout
    with open(tmp_path / "eval.json") as f:
        assert json.load(f)["languages"] == report["languages"]


def test_early_stopping_keeps_the_first_best_and_survives_resume(
    pretrained, task_dir, tmp_path, monkeypatch
):
    """Validation scores 0.5, then 0.4, 0.3: with patience 2 training stops at
    step 15 and the preset is the step-5 model; a rerun trains no further."""
    scores = iter([0.5, 0.4, 0.3, 0.2, 0.1])
    calls = []

    def scripted(model, spec, task_data, records, language):
        calls.append(model.get_layer("logits").get_weights()[0].sum())
        return {"accuracy": next(scores)}

    monkeypatch.setattr(task_evaluation, "task_metrics", scripted)
    monkeypatch.setattr(
        task_evaluation, "zero_shot_report", lambda *args: {"languages": {}, "metric": "accuracy"}
    )
    monkeypatch.setattr(task_evaluation, "write_report", lambda *args, **kwargs: None)
    monkeypatch.setattr(task_evaluation, "format_report", lambda *args, **kwargs: "")
    config = _config(
        pretrained, task_dir, num_steps=40, eval_every=5, checkpoint_every=5, patience=2
    )
    config.task.validation_languages = "en"
    finetune.run(config, str(tmp_path))
    assert len(calls) == 3
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")).endswith("ckpt-15")
    best = load_model(str(tmp_path / "preset"))
    assert best.get_layer("logits").get_weights()[0].sum() == pytest.approx(calls[0])

    finetune.run(config, str(tmp_path))  # Resumes at step 15, already stopped.
    assert len(calls) == 3


@pytest.mark.parametrize("shape", ["xlm_tiny", "xlm_roberta_tiny"])
def test_language_centering_moves_every_language_mean_onto_english(
    shape, tokenizer_dir, task_dir, tmp_path
):
    """Without language embeddings, with the tokenizer's languages (XLM) or
    with a tokenizer that lists none (XLM-R: the task data's languages)."""
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    if shape == "xlm_roberta_tiny":
        tokenizer = XLMTokenizer(proto=tokenizer.proto)  # No languages.
    backbone = XLMBackbone(**sized_config(shape, tokenizer, use_language_embedding=False))
    XLMMaskedLM(backbone).save_to_preset(str(tmp_path / "pretrained"))
    tokenizer.save_to_preset(str(tmp_path / "pretrained"))
    config = _config(str(tmp_path / "pretrained"), task_dir, num_steps=10)
    config.model.classifier_pooling = "mean"
    config.model.language_centering = True
    report = finetune.run(config, str(tmp_path / "run"))
    assert sorted(report["languages"]) == ["de", "en", "fr"]

    model = load_model(str(tmp_path / "run" / "preset"))
    assert model.language_centering and model.pooling == "mean"
    # A new tokenizer: the run's seeding invalidates older ones (tensorflow/text#570).
    tokenizer = XLMTokenizer.from_preset(str(tmp_path / "run" / "preset"))
    assert tokenizer.languages == ["de", "en", "fr"]
    spec = TaskSpec(preprocessor_for(model, tokenizer, 32), 8)
    records = open_task_data(task_dir, "classification")
    centered_means = {}
    for code in ("de", "en", "fr"):
        language_id = tokenizer.language_id(code)
        pooled = np.concatenate(
            [
                model.pooled(batch["x"]).numpy()
                for batch in task_dataset(
                    spec, "classification", records.records("validation", code), code
                )
            ]
        )
        centered_means[code] = pooled.mean(0) + model.centering.shifts.numpy()[language_id]
    assert not np.allclose(model.centering.shifts.numpy()[tokenizer.language_id("de")], 0)
    np.testing.assert_array_equal(model.centering.shifts.numpy()[tokenizer.language_id("en")], 0)
    for code in ("de", "fr"):
        np.testing.assert_allclose(centered_means[code], centered_means["en"], atol=1e-5)


def test_a_crash_while_centering_leaves_no_preset_to_serve(
    tokenizer_dir, task_dir, tmp_path, monkeypatch
):
    """The preset is written once, after centering: a run that stops between
    training and centering leaves only `best`, never an uncentred preset."""
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    backbone = XLMBackbone(**sized_config("xlm_tiny", tokenizer, use_language_embedding=False))
    XLMMaskedLM(backbone).save_to_preset(str(tmp_path / "pretrained"))
    tokenizer.save_to_preset(str(tmp_path / "pretrained"))
    config = _config(str(tmp_path / "pretrained"), task_dir, num_steps=5, eval_every=5)
    config.model.language_centering = True

    def crash(*args):
        raise RuntimeError("stopped while centering")

    monkeypatch.setattr(finetune, "center_languages", crash)
    with pytest.raises(RuntimeError, match="stopped while centering"):
        finetune.run(config, str(tmp_path / "run"))
    assert not (tmp_path / "run" / "preset").exists()
    assert (tmp_path / "run" / "best" / "task.json").exists()


def _write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


@pytest.fixture(scope="module")
def tagging_and_qa_dirs(tmp_path_factory):
    """Tasks on real sentences of the bundled corpus: tag capitalised words
    (B-CAP), and answer "which word follows <w>?" with a span."""
    from xlm_keras.data import corpus

    root = tmp_path_factory.mktemp("tasks")
    files = corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "test")
    for kind in ("tagging", "qa"):
        (root / kind).mkdir()
    for language in ("de", "en", "fr"):
        with open(files[language][0], encoding="utf-8") as f:
            sentences = [line.strip() for line in f if len(line.split()) >= 4][:48]
        tagged = [
            {"tokens": s.split(), "tags": ["B-CAP" if w[0].isupper() else "O" for w in s.split()]}
            for s in sentences
        ]
        questions = []
        for i, sentence in enumerate(sentences):
            words = sentence.split(" ")
            start = len(" ".join(words[:2])) + 1
            questions.append(
                {
                    "id": f"{language}{i}",
                    "question": f"After {words[1]}?",
                    "context": sentence,
                    "answers": {"text": [words[2]], "answer_start": [start]},
                }
            )
        for split, rows in (
            ("train", slice(0, 32)),
            ("validation", slice(32, 40)),
            ("test", slice(40, 48)),
        ):
            if split == "train" and language != "en":
                continue
            _write_jsonl(root / "tagging" / f"{split}.{language}.jsonl", tagged[rows])
            _write_jsonl(root / "qa" / f"{split}.{language}.jsonl", questions[rows])
    return root


@pytest.mark.parametrize("task_type", ["tagging", "qa"])
def test_finetune_tagging_and_qa(pretrained, tagging_and_qa_dirs, task_type, tmp_path):
    config = _config(
        pretrained,
        str(tagging_and_qa_dirs / task_type),
        num_steps=10,
        eval_every=10,
        checkpoint_every=10,
    )
    config.task.type = task_type
    config.data.max_query_length = 8
    config.data.doc_stride = 8
    validate_finetune(config)
    report = finetune.run(config, str(tmp_path))
    assert sorted(report["languages"]) == ["de", "en", "fr"]
    for metrics in report["languages"].values():
        if task_type == "tagging":
            assert metrics["true_entities"] > 0 and 0 <= metrics["f1"] <= 1
        else:
            assert metrics["count"] == 8 and 0 <= metrics["f1"] <= 100
    model = load_model(str(tmp_path / "preset"))
    assert type(model).__name__ == {"tagging": "XLMTokenClassifier", "qa": "XLMSpanQA"}[task_type]
    if task_type == "tagging":
        assert model.label_names == ["B-CAP", "O"]


def test_fine_tuning_trains_in_bfloat16(pretrained, task_dir, tmp_path, monkeypatch):
    models = trained_models(finetune, monkeypatch)
    config = _config(pretrained, task_dir, num_steps=5, eval_every=5, checkpoint_every=5)
    config.train.mixed_precision = "mixed_bfloat16"
    finetune.run(config, str(tmp_path / "ft"), "one_device")
    assert_bfloat16_compute_float32_variables(models[0])
