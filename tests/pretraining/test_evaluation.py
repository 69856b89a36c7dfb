"""Evaluation metrics against hand-computed cases; a monolingual corpus is
scored with MLM only."""

import os
import shutil

import numpy as np
import pytest

from tests.helpers import sized_config
from xlm_keras import XLMBackbone
from xlm_keras import XLMMaskedLM
from xlm_keras.data.corpus import SAMPLE_CORPUS_DIR
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import load_model
from xlm_keras.pretraining.evaluation import evaluate
from xlm_keras.pretraining.evaluation import retrieval_accuracy


def test_retrieval_accuracy_hand_computed():
    source = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # Row 2's translation is closer to source 0 than to source 2 (cosine).
    target = np.array([[2.0, 0.1], [0.1, 3.0], [1.0, 0.2]])
    forward, backward = retrieval_accuracy(source, target)
    # source0 -> target0 (ok), source1 -> target1 (ok), source2 -> nearest of
    # [cos 0.73, 0.74, 0.83] = target2 (ok).
    assert forward == pytest.approx(1.0)
    # target2 -> nearest of [source0 0.98, source1 0.20, source2 0.83] = source0.
    assert backward == pytest.approx(2 / 3)


@pytest.mark.slow
def test_a_monolingual_corpus_gets_mlm_metrics_only(pretrained, tmp_path):
    """A new domain's text without translations: no retrieval, no TLM."""
    (tmp_path / "mono").mkdir()
    for language in ("en", "fr"):
        shutil.copy(
            os.path.join(SAMPLE_CORPUS_DIR, "mono", f"{language}.test.txt"), tmp_path / "mono"
        )
    model = load_model(pretrained)
    tokenizer = XLMTokenizer.from_preset(pretrained)
    report = evaluate(model, tokenizer, str(tmp_path), ["en", "fr"], sequence_length=16)
    assert report["retrieval"] == {} and "tlm" not in report
    assert sorted(report["mlm"]) == ["en", "fr"]
    assert all(0 <= metrics["accuracy"] <= 1 for metrics in report["mlm"].values())


@pytest.mark.slow
def test_a_model_whose_tokenizer_lists_no_languages_is_scored_per_corpus_language(
    tokenizer_dir, tmp_path
):
    """XLM-R: no language embeddings, no languages in the tokenizer; the
    metrics are named by the corpus's languages."""
    for folder, name in (
        ("mono", "en.test.txt"),
        ("mono", "fr.test.txt"),
        ("parallel", "en-fr.test.tsv"),
    ):
        (tmp_path / folder).mkdir(exist_ok=True)
        shutil.copy(os.path.join(SAMPLE_CORPUS_DIR, folder, name), tmp_path / folder)
    tokenizer = XLMTokenizer(proto=XLMTokenizer.from_preset(tokenizer_dir).proto)
    backbone = XLMBackbone(**sized_config("xlm_roberta_tiny", tokenizer))
    report = evaluate(XLMMaskedLM(backbone), tokenizer, str(tmp_path), [], sequence_length=16)
    assert sorted(report["mlm"]) == ["en", "fr"] and sorted(report["tlm"]) == ["fr"]
    assert sorted(report["retrieval"]) == ["en-fr"]
