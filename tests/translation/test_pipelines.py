"""Translation batches: both directions of one file, each with its own
language ids and direction index; held-out pairs never trained on."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import ROOT
from xlm_keras.models import XLMSeq2SeqLMPreprocessor
from xlm_keras.models import XLMTokenizer
from xlm_keras.translation import pipelines


def _spec(tokenizer_dir, use_language_ids=True, hold_out=4):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer,
        encoder_sequence_length=24,
        decoder_sequence_length=20,
        use_language_ids=use_language_ids,
    )
    return pipelines.TranslationSpec(
        preprocessor, [("en", "fr"), ("fr", "en")], batch_size=8, hold_out=hold_out, seed=3
    )


def test_both_directions_with_their_language_ids(tokenizer_dir, corpus_dir):
    spec = _spec(tokenizer_dir)
    tokenizer = spec.preprocessor.tokenizer
    en, fr = tokenizer.language_id("en"), tokenizer.language_id("fr")
    directions = []
    for batch in pipelines.mt_dataset(spec, corpus_dir).take(4):
        x = {k: v.numpy() for k, v in batch["x"].items()}
        assert x["encoder_token_ids"].shape == (8, 24)
        assert x["decoder_token_ids"].shape == batch["labels"].shape == (8, 20)
        for row, direction in enumerate(batch["language"].numpy()):
            source, target = (en, fr) if direction == 0 else (fr, en)
            for side, language in (("encoder", source), ("decoder", target)):
                real = x[f"{side}_padding_mask"][row] > 0
                assert set(x[f"{side}_language_ids"][row][real]) == {language}
        # The decoder reads the labels shifted right.
        weights = batch["sample_weight"].numpy()
        np.testing.assert_array_equal(
            x["decoder_token_ids"][:, 1:][weights[:, :-1] > 0],
            batch["labels"].numpy()[:, :-1][weights[:, :-1] > 0],
        )
        directions += list(batch["language"].numpy())
    assert set(directions) == {0, 1}


def test_the_swapped_direction_reads_the_same_file_backwards(corpus_dir, tokenizer_dir):
    forward = pipelines.evaluation_pairs(corpus_dir, "test", ("en", "fr"))
    backward = pipelines.evaluation_pairs(corpus_dir, "test", ("fr", "en"))
    assert forward == backward[::-1] and len(forward[0]) == 6
    held_out = pipelines.evaluation_pairs(corpus_dir, "train", ("de", "en"), 4)
    assert held_out == tuple(
        side[:4] for side in pipelines.evaluation_pairs(corpus_dir, "train", ("de", "en"))
    )


def test_held_out_pairs_are_not_trained_on(tokenizer_dir, corpus_dir):
    spec = _spec(tokenizer_dir, use_language_ids=False)
    held_out = set(pipelines.evaluation_pairs(corpus_dir, "train", ("en", "fr"), 4)[0])
    trained = {
        s
        for s, _ in pipelines.read_direction(corpus_dir, "train", ("en", "fr"), spec.stats, skip=4)
    }
    assert len(trained) == 20 and not trained & held_out
    batch = next(iter(pipelines.mt_dataset(spec, corpus_dir)))
    assert "encoder_language_ids" not in batch["x"]


def test_lines_are_counted_once_however_often_they_are_read(tokenizer_dir, corpus_dir):
    # Both directions read the one en-fr file, and 12 batches of 8 go round
    # its 20 training pairs several times: each line still counts once.
    spec = _spec(tokenizer_dir)
    for _ in pipelines.mt_dataset(spec, corpus_dir).take(12):
        pass
    path = f"{corpus_dir}/parallel/en-fr.train.tsv"
    assert spec.stats.kept(path) == 24 and spec.stats.skipped(path) == 0
    assert f"{path}: kept 24, skipped 0" in spec.stats.summary(every_file=True)


def test_pairs_are_read_once(tokenizer_dir, corpus_dir, monkeypatch):
    read = pipelines.read_tsv_pairs
    reads = []
    monkeypatch.setattr(
        pipelines, "read_tsv_pairs", lambda path, stats: reads.append(path) or read(path, stats)
    )
    # 12 batches of 8 go round each direction's 20 pairs several times.
    for _ in pipelines.mt_dataset(_spec(tokenizer_dir), corpus_dir).take(12):
        pass
    assert reads == [f"{corpus_dir}/parallel/en-fr.train.tsv"] * 2


# A stream left before a direction's first pass has ended: a shuffle buffer
# far below the bundled sample's 800 pairs, one batch read.
LEFT_EARLY = """
import gc, sys
from tests.translation.test_pipelines import _spec
from xlm_keras.data.corpus import SAMPLE_CORPUS_DIR
from xlm_keras.translation import pipelines

pipelines.SHUFFLE_BUFFER = 4
for dataset in (pipelines.mt_dataset, pipelines.ae_dataset):
    stream = iter(dataset(_spec(sys.argv[1]), SAMPLE_CORPUS_DIR))
    next(stream)
    del stream
    gc.collect()
print("read", flush=True)
"""


@pytest.mark.slow
def test_a_stream_left_early_does_not_warn(tokenizer_dir):
    # TensorFlow's warnings: not at the tests' TF_CPP_MIN_LOG_LEVEL.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    child = subprocess.run(
        [sys.executable, "-c", LEFT_EARLY, tokenizer_dir],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert child.stdout == "read\n", child.stderr[-3000:]
    assert "did not fully read the dataset being cached" not in child.stderr, child.stderr


def test_validation_holding_out_every_pair_is_refused_with_the_count(corpus_dir):
    path = f"{corpus_dir}/parallel/en-fr.train.tsv"
    pipelines.require_training_data(corpus_dir, [("fr", "en")], 23, "halves", ["mt"])
    with pytest.raises(ValueError) as error:
        pipelines.require_training_data(corpus_dir, [("fr", "en")], 24, "halves", ["mt"])
    assert str(error.value) == (
        f"translation.validation_pairs=24 holds out every pair of fr-en: {path} hold 24 "
        "usable pairs; set it below 24 so that pairs are left to train on"
    )
    # Halves: fr reads the odd pairs past the held-out ones, and there is one pair left.
    with pytest.raises(ValueError, match=r"data.monolingual='halves': fr has no sentence"):
        pipelines.require_training_data(corpus_dir, [("en", "fr")], 23, "halves", ["ae"])


def test_a_direction_or_language_without_a_usable_line_is_refused(tmp_path):
    (tmp_path / "parallel").mkdir()
    (tmp_path / "mono").mkdir()
    pairs = tmp_path / "parallel" / "en-fr.train.tsv"
    pairs.write_bytes(b"one column\n\xff\tx\n")
    with pytest.raises(ValueError) as error:
        pipelines.require_training_data(str(tmp_path), [("en", "fr")], 0, "halves", ["mt"])
    assert str(error.value) == (
        f"translation.directions: en-fr has no usable line in {pairs} (skipped 2: bad_utf8 1, "
        "wrong_columns 1); fix or replace the file"
    )
    pairs.write_text("Hello\tBonjour\n")
    mono = tmp_path / "mono" / "fr.train.txt"
    mono.write_text("\n \n")
    (tmp_path / "mono" / "en.train.txt").write_text("Hello\n")
    with pytest.raises(ValueError, match=f"'mono': fr has no usable line in {mono} .skipped 2"):
        pipelines.require_training_data(str(tmp_path), [("en", "fr")], 0, "mono", ["mt", "bt"])


def test_length_buckets_trim_batches_and_keep_every_token(tokenizer_dir, corpus_dir):
    spec = _spec(tokenizer_dir)
    spec.bucket_by_length = True
    end = spec.preprocessor.tokenizer.end_token_id
    # Widths 16 and 24 (the longer side's maximum); 8 pairs of 24 tokens a batch.
    for batch in pipelines.mt_dataset(spec, corpus_dir).take(6):
        x = {k: v.numpy() for k, v in batch["x"].items()}
        rows, source_width = x["encoder_token_ids"].shape
        target_width = batch["labels"].shape[1]
        width = 16 if source_width == 16 else 24
        assert source_width == min(width, 24) and target_width == min(width, 20)
        assert rows == 8 * 24 // width
        real = np.maximum(x["encoder_padding_mask"].sum(1), x["decoder_padding_mask"].sum(1))
        assert real.max() <= width and (width == 16 or real.max() > 16)
        assert x["decoder_token_ids"].shape == batch["sample_weight"].shape
        # Nothing real was cut: every row's last target is still the end token.
        weights, labels = batch["sample_weight"].numpy(), batch["labels"].numpy()
        last = weights.sum(1).astype(int) - 1
        assert (labels[np.arange(rows), last] == end).all()
        sources_last = x["encoder_padding_mask"].sum(1) - 1
        assert (x["encoder_token_ids"][np.arange(rows), sources_last] == end).all()
