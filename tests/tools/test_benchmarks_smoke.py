"""tools/bench_input.py runs end to end on tiny settings and reports positive
numbers; tools/bench_train.py counts FLOPs right (no timing is checked);
tools/bench_serving.py's comparison times the same embeddings on every path
(Hugging Face, ONNX Runtime padded and length-sorted, ours) and prints its
table (its ONNX Runtime path: tests/tools/test_bench_onnx.py);
tools/lexical_baseline.py's bags hold exactly SentencePiece's pieces."""

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import load_script
from tests.helpers import tiny_backbone


@pytest.mark.slow
def test_bench_input_reports_positive_rates(tmp_path):
    bench_input = load_script("tools/bench_input.py")
    config = bench_input.experiment_config(sequence_length=32, batch_size=4)
    config.data.languages = "de,en,fr"
    config.data.vocabulary_size = 300
    rows = bench_input.run(["mlm"], config, seconds=1.0, workdir=str(tmp_path))
    assert [row["objective"] for row in rows] == ["mlm"]
    assert rows[0]["pipeline"] > 0 and rows[0]["model"] > 0 and rows[0]["ratio"] > 0
    assert "| mlm |" in bench_input.format_table(rows, config)


def test_bench_train_flops_formula():
    bench_train = load_script("tools/bench_train.py")
    shape = bench_train.Shape(2, 16, 2, 48, 12, 1, 40, 0.15)
    assert shape.num_targets == 2
    backbone = tiny_backbone(40, intermediate_dim=48, max_sequence_length=12, num_languages=1)
    embeddings = backbone.get_layer("embeddings").count_params()
    embeddings += backbone.get_layer("embeddings_layer_norm").count_params()
    assert bench_train.non_embedding_params(shape) == backbone.count_params() - embeddings
    full, masked = bench_train.flops_per_token(shape, 12), bench_train.flops_per_token(shape, 2)
    assert full - masked == 6 * (16**2 + 16 * 40) * (12 - 2) / 12
    # Last block at 2 of 12 positions: 10 of 12 rows skip its query and
    # output projections, feed-forward and two LayerNorms (weights and
    # biases, 6 FLOPs each per row) and one query's attention products
    # (2 x 12 keys x 16 multiply-adds, 6 FLOPs each).
    row = (2 * (16 * 16 + 16)) + (2 * 16 * 48 + 48 + 16) + 2 * 2 * 16
    assert bench_train.flops_per_token(shape, 2, None, 2) == pytest.approx(
        masked - (10 / 12) * (6 * row + 6 * 2 * 12 * 16)
    )


def test_lexical_baseline_bags_match_sentencepiece(tokenizer_dir):
    import sentencepiece

    from xlm_keras.models import XLMTokenizer

    lexical_baseline = load_script("tools/lexical_baseline.py")
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    texts = ["Wählen Sie Format - Zellen.", "", "Choose Format - Cells, then Cells again."]
    bags = lexical_baseline.bags_of_pieces(tokenizer, texts).toarray()
    processor = sentencepiece.SentencePieceProcessor(
        model_file=str(Path(tokenizer_dir) / "assets" / "tokenizer" / "vocabulary.spm")
    )
    for row, text in zip(bags, texts):
        assert set(np.flatnonzero(row)) == set(processor.encode(text))
        assert set(row) <= {0.0, 1.0}


@pytest.mark.slow
def test_bench_serving_compares_the_same_embeddings_with_hugging_face(tmp_path):
    bench_serving = load_script("tools/bench_serving.py")
    workdir = str(tmp_path)
    saved_model = bench_serving.prepare(
        workdir,
        16,
        24,
        num_layers=1,
        hidden_dim=16,
        num_heads=2,
        vocabulary_size=4000,
        spm_size=3000,
    )
    with open(tmp_path / bench_serving.SENTENCES_TXT, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f]
    assert len(texts) == 16 and all(texts)
    hf = bench_serving.hf_call(str(tmp_path / bench_serving.HF_DIR), 24)(texts[:5])
    ours, _ = bench_serving.saved_model_call(saved_model, "embed", None)
    np.testing.assert_allclose(ours(texts[:5])["embedding"], hf, atol=1e-4)
    table = bench_serving.compare(
        workdir,
        {"ours (embed)": saved_model},
        [2],
        rounds=1,
        timed_texts=2,
        warmup=0,
        max_sequence_length=24,
    )
    for row in bench_serving.HF_ROW, bench_serving.ONNX_PADDED_ROW, bench_serving.ONNX_SORTED_ROW:
        assert f"| {row} | 2 |" in table
    assert "| ours (embed) | 2 |" in table
