"""tools/bench_matmul_dtypes.py times products that compute the same thing
(bfloat16 and 8-bit within their round-off of float32);
tools/export_precision.py counts agreeing output tokens position by
position."""

import numpy as np

from tests.helpers import load_script


def test_reduced_precision_products_match_float32():
    bench = load_script("tools/bench_matmul_dtypes.py")
    results = {kind: fn().numpy() for kind, fn in bench.products(4, 64, 96, count=3).items()}
    expected = results.pop("float32")
    scale = np.abs(expected).max()
    for kind, tolerance in (("bfloat16", 0.02), ("int8", 0.05)):
        np.testing.assert_allclose(
            np.asarray(results[kind], np.float32), expected, atol=tolerance * scale
        )


class WordPieces:
    """Pieces = whitespace-separated words (the SentencePiece interface used)."""

    @staticmethod
    def encode(text, out_type=str):
        return text.split()


def test_token_agreement_counts_positions_over_the_longer():
    tool = load_script("tools/export_precision.py")
    assert tool.token_agreement(WordPieces(), ["a b c", "x"], ["a b c", "x"]) == 1.0
    # 2 of 3, then 1 of 3 (the longer side counts): 3 / 6.
    assert tool.token_agreement(WordPieces(), ["a b d", "x"], ["a b c", "x y z"]) == 0.5
