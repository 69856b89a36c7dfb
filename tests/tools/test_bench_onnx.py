"""tools/bench_onnx.py: its fused ONNX model gives Hugging Face's embeddings
(those of tools/bench_serving.py's Hugging Face path), padded and in
length-sorted slices; its slices are those of our serving's `length_slices`
and come back in the batch's order."""

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import load_script


@pytest.mark.slow
def test_onnx_runtime_gives_hugging_face_embeddings(fairseq_model_dir, tmp_path):
    import shutil

    import torch
    import transformers

    from tests.sentencepiece_fixtures import SENTENCES
    from tests.sentencepiece_fixtures import VOCABULARY_SIZE

    bench_onnx = load_script("tools/bench_onnx.py")
    bench_serving = load_script("tools/bench_serving.py")
    hf_dir = tmp_path / "hf"
    hf_dir.mkdir()
    shutil.copy(Path(fairseq_model_dir) / "sentencepiece.bpe.model", hf_dir)
    torch.manual_seed(0)
    # fairseq's <pad> and <mask> past SentencePiece's pieces.
    config = bench_onnx.bench_common.hf_xlmr_config(2, 32, 2, VOCABULARY_SIZE + 2, 24)
    transformers.XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(hf_dir)
    texts = [line for lines in SENTENCES.values() for line in lines[:3]]
    onnx_model = str(tmp_path / "onnx" / "model.onnx")
    counts = bench_onnx.prepare_onnx(str(hf_dir), onnx_model, texts[:4], 24)
    assert {"Attention": 2, "SkipLayerNormalization": 4, "BiasGelu": 2}.items() <= counts.items()
    hf = bench_serving.hf_call(str(hf_dir), 24)(texts)
    for length_sorted in False, True:
        # 40 tokens: 16 slices of 1 to 3 rows (9 to 24 tokens).
        onnx = bench_onnx.onnx_call(onnx_model, 24, length_sorted, tokens_per_slice=40)
        np.testing.assert_allclose(onnx(texts), hf, atol=1e-5)


def test_length_slices_are_the_servings_and_come_back_in_order():
    import tensorflow as tf

    from xlm_keras.inference import length_slices

    bench_onnx = load_script("tools/bench_onnx.py")
    assert bench_onnx.TOKENS_PER_SLICE == length_slices.TOKENS_PER_SLICE
    lengths = np.array([5, 2, 9, 2, 7, 30, 1, 4])
    slices = bench_onnx.length_slices(lengths, 12)
    sorted_lengths = tf.constant(np.sort(lengths), tf.int32)
    start = 0
    for rows in slices:
        assert int(length_slices.slice_end(sorted_lengths, start, 12)) == start + len(rows)
        start += len(rows)
    assert [len(rows) for rows in slices] == [3, 2, 1, 1, 1]
    padding_mask = (np.arange(30) < lengths[:, None]).astype(np.int64)
    batch = {"input_ids": np.arange(8)[:, None] * padding_mask, "attention_mask": padding_mask}

    def first_row_id(rows):
        """float [b, 1]: each row's id (its first token); checks the cut."""
        assert rows["attention_mask"][:, -1].any()
        return rows["input_ids"][:, :1].astype(float)

    ids = bench_onnx.map_length_slices(first_row_id, batch, 12)
    np.testing.assert_array_equal(ids[:, 0], np.arange(8))
