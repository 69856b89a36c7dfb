"""tools/bench_translate.py's CTranslate2 path (tools/bench_ct2.py) frames,
translates and detokenises as ours: on a tiny random `XLMSeq2SeqLM` (XLM-R
layout, XLM's head, weights spread so that each source translates
differently) exported by `export_ctranslate2`, CTranslate2's float32 greedy
ids and texts equal `XLMSeq2SeqLM`'s, and the check that guards the
benchmark's conversion fails on another model. The benchmark has a call
and a name for each path. (The export itself: tests/serving/test_to_ctranslate2.py.)"""

import numpy as np
import pytest

from tests.helpers import FAMILIES
from tests.helpers import TINY
from tests.helpers import load_script

NEW_TOKENS = 12
SOURCE_LENGTH = 16
TEXTS = [
    "Hello world!",
    "Le café est très chaud ce matin.",
    "Привет, мир! ☃ is not a piece.",
    "我喜欢音乐和艺术🎶。",
    # Longer than SOURCE_LENGTH pieces: both sides cut it.
    "The quick brown fox jumps over the lazy dog, and the cat sleeps on the warm window sill.",
]


def test_every_path_has_a_call_and_a_name():
    bench = load_script("tools/bench_translate.py")
    assert bench.CALLS.keys() == bench.PATH_NAMES.keys()


@pytest.fixture
def tiny_mt(fairseq_model_file, tmp_path):
    """(model, vocabulary, preset): a tiny `XLMSeq2SeqLM` of the benchmark's
    layout with 6 rows past its tokenizer, `</s>` and those rows masked as in
    the benchmark, `token_vocabulary` of it, and its preset directory."""
    from xlm_keras import XLMSeq2SeqBackbone
    from xlm_keras import XLMSeq2SeqLM
    from xlm_keras import XLMSeq2SeqLMPreprocessor
    from xlm_keras.models import XLMTokenizer
    from xlm_keras.serving.to_ctranslate2 import token_vocabulary

    tokenizer = XLMTokenizer(proto=fairseq_model_file, id_convention="fairseq")
    backbone = XLMSeq2SeqBackbone(
        **{**TINY, "num_heads": 4, "hidden_dim": 32, "intermediate_dim": 64},
        **FAMILIES["roberta"],
        vocabulary_size=tokenizer.vocabulary_size() + 6,
    )
    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer, encoder_sequence_length=SOURCE_LENGTH, decoder_sequence_length=NEW_TOKENS + 1
    )
    model = XLMSeq2SeqLM(backbone, preprocessor=preprocessor, lm_head="xlm")
    # Matrices x 25 (from std 0.02 every source translates alike); LayerNorm
    # scales and offsets and biases moved off 1 and 0 so that each one counts.
    rng = np.random.default_rng(0)
    model.set_weights(
        [w * 25 if w.ndim > 1 else w + rng.normal(0, 0.1, w.shape) for w in model.get_weights()]
    )
    bias = model.output_head.bias.numpy()
    bias[[tokenizer.end_token_id, *range(tokenizer.vocabulary_size(), len(bias))]] = -1e4
    model.output_head.bias.assign(bias)
    model.save_to_preset(str(tmp_path / "preset"))
    return model, token_vocabulary(model), str(tmp_path / "preset")


@pytest.fixture
def processor(fairseq_model_file):
    import sentencepiece

    return sentencepiece.SentencePieceProcessor(model_file=fairseq_model_file)


def test_ct2_sources_are_framed_as_ours(tiny_mt, processor):
    bench_ct2 = load_script("tools/bench_ct2.py")
    model, vocabulary, _ = tiny_mt
    ids = {token: i for i, token in enumerate(vocabulary)}
    unk = model.preprocessor.tokenizer.unk_token_id
    sources = bench_ct2.ct2_sources(processor, TEXTS, SOURCE_LENGTH)
    ours = model.preprocessor.generate_preprocess(TEXTS)
    for pieces, row, mask in zip(
        sources, ours["encoder_token_ids"].numpy(), ours["encoder_padding_mask"].numpy()
    ):
        assert [ids.get(piece, unk) for piece in pieces] == row[mask == 1].tolist()


@pytest.mark.slow
def test_ct2_greedy_ids_and_texts_equal_ours(tiny_mt, processor, fairseq_model_file, tmp_path):
    import ctranslate2

    bench_ct2 = load_script("tools/bench_ct2.py")
    model, vocabulary, preset = tiny_mt
    ct2_dir = str(tmp_path / "ct2")
    bench_ct2.convert_checked(preset, fairseq_model_file, TEXTS, NEW_TOKENS, ct2_dir)
    translator = ctranslate2.Translator(ct2_dir, device="cpu", compute_type="float32")
    sources = bench_ct2.ct2_sources(processor, TEXTS, SOURCE_LENGTH)
    pieces = bench_ct2.ct2_translate(translator, sources, 1, NEW_TOKENS)
    ours = bench_ct2.ours_greedy_ids(model, TEXTS, NEW_TOKENS)
    assert len({tuple(row) for row in ours}) > 1  # Sources translate differently.
    ids = {token: i for i, token in enumerate(vocabulary)}
    np.testing.assert_array_equal([[ids[piece] for piece in row] for row in pieces], ours)
    texts = model.preprocessor.tokenizer.detokenize(ours).numpy()
    assert [bench_ct2.ct2_detokenize(processor, row) for row in pieces] == [
        text.decode() for text in texts
    ]
    # Decoder positions off by fairseq's padding offset: a converter's classic slip.
    table = model.backbone.decoder_embeddings.position_table.position_embeddings
    table.assign(np.roll(table.numpy(), 2, axis=0))
    with pytest.raises(RuntimeError, match="not the same model"):
        bench_ct2.check_ct2_matches(model, ct2_dir, processor, TEXTS, NEW_TOKENS)
