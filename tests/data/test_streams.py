"""tf.data sources, XLM token streams, language sampling, worker shards."""

import collections
import gzip

import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.data import CorpusStats
from xlm_keras.data import language_sampling_probabilities
from xlm_keras.data import sample_languages
from xlm_keras.data import shard_of
from xlm_keras.data import streams
from xlm_keras.data import text_dataset
from xlm_keras.data import token_windows


def test_token_windows_is_xlm_stream():
    sentences = tf.ragged.constant([[1, 2, 3], [4, 5], [6, 7, 8, 9], [10]], tf.int32)
    ds = tf.data.Dataset.from_tensor_slices(sentences).ragged_batch(3)
    windows = [w.numpy().tolist() for w in token_windows(ds, 4, 0)]
    assert windows == [[1, 2, 3, 0], [4, 5, 0, 6], [7, 8, 9, 0]]


def test_text_dataset_reports_skips(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"one\n\xff\ntwo\n")
    stats = CorpusStats()
    texts = [t.numpy().decode() for t in text_dataset([tmp_path / "a.txt"], stats)]
    assert texts == ["one", "two"]
    assert stats.kept() == 2 and stats.skipped() == 1


def test_two_workers_read_disjoint_complete_shards(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("".join(f"line {i}\n" for i in range(50)))
    seen = []
    for worker in range(2):
        context = tf.distribute.InputContext(
            num_input_pipelines=2, input_pipeline_id=worker, num_replicas_in_sync=2
        )
        seen.append({t.numpy() for t in text_dataset([path], CorpusStats(), shard_of(context))})
    assert not seen[0] & seen[1]
    assert len(seen[0] | seen[1]) == 50
    assert shard_of(tf.distribute.InputContext()) is None


def test_sampling_probabilities():
    counts = {"en": 900, "sw": 100}
    assert language_sampling_probabilities(counts, 1.0) == pytest.approx({"en": 0.9, "sw": 0.1})
    assert language_sampling_probabilities(counts, 0.0) == pytest.approx({"en": 0.5, "sw": 0.5})
    q = language_sampling_probabilities(counts, 0.3)
    expected_sw = 0.1**0.3 / (0.1**0.3 + 0.9**0.3)
    assert q["sw"] == pytest.approx(expected_sw)
    with pytest.raises(ValueError, match="without data"):
        language_sampling_probabilities({"en": 5, "xx": 0}, 0.5)


def test_sample_languages_matches_probabilities():
    datasets = {lang: tf.data.Dataset.from_tensors(lang) for lang in ("en", "fr", "sw")}
    q = language_sampling_probabilities({"en": 1000, "fr": 300, "sw": 10}, 0.5)
    drawn = collections.Counter(
        x.decode() for x in sample_languages(datasets, q, seed=1).take(20000).as_numpy_iterator()
    )
    for lang, p in q.items():
        assert drawn[lang] / 20000 == pytest.approx(p, abs=0.015)
    np.testing.assert_allclose(sum(q.values()), 1.0)


def test_truncated_gzip_ends_its_stream_without_an_error(tmp_path):
    data = gzip.compress("".join(f"line {i}\n" for i in range(400)).encode())
    path = tmp_path / "fr.train.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    stats = CorpusStats()
    texts = list(text_dataset([path], stats).repeat(3))
    # Read three times, counted once.
    assert len(texts) == 3 * stats.kept() > 0
    assert stats.counts[str(path)]["damaged"] == 1


def test_read_once_replays_the_first_complete_pass(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("one\ntwo\nthree\n")
    read = streams.readers.read_text
    reads = []
    monkeypatch.setattr(
        streams.readers, "read_text", lambda path, *args: reads.append(path) or read(path, *args)
    )
    dataset = text_dataset([tmp_path / "a.txt"], CorpusStats(), read_once=True)
    next(iter(dataset))  # A pass left early keeps nothing.
    assert [t.numpy() for t in dataset.repeat(3)] == [b"one", b"two", b"three"] * 3
    assert reads == [str(tmp_path / "a.txt")] * 2
