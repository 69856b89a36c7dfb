"""Unsupervised translation batches: each language reads a disjoint half of
the parallel file (no sentence with its translation), denoising batches
are seeded and resume where they stopped, back-translation batches carry
the language to translate into."""

import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.data.readers import CorpusStats
from xlm_keras.data.readers import read_tsv_pairs
from xlm_keras.models import XLMSeq2SeqLMPreprocessor
from xlm_keras.models import XLMTokenizer
from xlm_keras.translation import pipelines

HOLD_OUT = 2


def _spec(tokenizer_dir, monolingual="halves", noise=None):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer, encoder_sequence_length=24, decoder_sequence_length=20, use_language_ids=True
    )
    return pipelines.TranslationSpec(
        preprocessor,
        [("en", "fr"), ("fr", "en")],
        batch_size=4,
        hold_out=HOLD_OUT,
        seed=5,
        monolingual=monolingual,
        noise=noise,
    )


def _file_pairs(corpus_dir):
    return list(read_tsv_pairs(f"{corpus_dir}/parallel/en-fr.train.tsv", CorpusStats()))


def test_languages_read_disjoint_halves(corpus_dir):
    pairs = _file_pairs(corpus_dir)
    english = list(
        pipelines.monolingual_sentences(corpus_dir, "train", "en", ["fr"], CorpusStats(), HOLD_OUT)
    )
    french = list(
        pipelines.monolingual_sentences(corpus_dir, "train", "fr", ["en"], CorpusStats(), HOLD_OUT)
    )
    trained = pairs[HOLD_OUT:]
    assert english == [en for en, _ in trained[0::2]]
    assert french == [fr for _, fr in trained[1::2]]
    # No sentence has its translation on the other side, none is held out.
    assert not {(en, fr) for en in english for fr in french} & set(pairs)
    held_out = pairs[:HOLD_OUT]
    assert not set(english) & {en for en, _ in held_out}
    assert not set(french) & {fr for _, fr in held_out}


def _rows(batch, name):
    return [row.tolist() for row in batch["x"][name].numpy()]


def _sentences(batch):
    """(source pieces, target pieces) of each row, frames dropped, cut to
    the shorter of the two (the decoder side is shorter)."""
    x = batch["x"]
    rows = []
    for ids, mask, labels, weights in zip(
        x["encoder_token_ids"].numpy(),
        x["encoder_padding_mask"].numpy(),
        batch["labels"].numpy(),
        batch["sample_weight"].numpy(),
    ):
        source, target = ids[mask > 0][1:-1].tolist(), labels[weights > 0][:-1].tolist()
        rows.append((source, target))
    return rows


def test_denoising_batches_are_seeded_and_resume_where_they_stopped(tokenizer_dir, corpus_dir):
    spec = _spec(tokenizer_dir)
    tokenizer = spec.preprocessor.tokenizer
    batches = list(pipelines.ae_dataset(spec, corpus_dir).take(4))
    again = list(pipelines.ae_dataset(spec, corpus_dir).take(4))
    resumed = list(pipelines.ae_dataset(spec, corpus_dir, skip=2).take(2))
    for a, b in zip(batches, again):
        assert _rows(a, "encoder_token_ids") == _rows(b, "encoder_token_ids")
    for a, b in zip(batches[2:], resumed):
        assert _rows(a, "encoder_token_ids") == _rows(b, "encoder_token_ids")
    # Consecutive batches get different noise seeds.
    assert _rows(batches[0], "encoder_token_ids") != _rows(batches[1], "encoder_token_ids")
    for batch in batches:
        x = {k: v.numpy() for k, v in batch["x"].items()}
        for row, index in enumerate(batch["language"].numpy()):
            language = tokenizer.language_id(spec.metric_names[index])
            for side in ("encoder", "decoder"):
                real = x[f"{side}_padding_mask"][row] > 0
                assert set(x[f"{side}_language_ids"][row][real]) == {language}
    assert set(np.concatenate([b["language"].numpy() for b in batches])) == {2, 3}
    rows = [row for batch in batches for row in _sentences(batch)]
    noised = [
        source[: len(target)] != target[: len(source)] or len(source) < len(target)
        for source, target in rows
    ]
    assert sum(noised) > len(rows) // 2


def test_denoising_without_noise_is_the_sentence_itself(tokenizer_dir, corpus_dir):
    spec = _spec(tokenizer_dir, noise={"shuffle_distance": 0.0, "dropout": 0.0, "blank": 0.0})
    for batch in pipelines.ae_dataset(spec, corpus_dir).take(2):
        for source, target in _sentences(batch):
            length = min(len(source), len(target))
            assert length > 0 and source[:length] == target[:length]


def test_back_translation_batches_hold_target_text_and_the_source_language(
    tokenizer_dir, corpus_dir
):
    spec = _spec(tokenizer_dir)
    tokenizer = spec.preprocessor.tokenizer
    english = set(
        pipelines.monolingual_sentences(corpus_dir, "train", "en", ["fr"], CorpusStats(), HOLD_OUT)
    )
    for batch in pipelines.bt_dataset(spec, corpus_dir).take(3):
        x = {k: v.numpy() for k, v in batch["x"].items()}
        np.testing.assert_array_equal(x["encoder_token_ids"][:, :20], x["decoder_token_ids"])
        for row, direction in enumerate(batch["language"].numpy()):
            source, target = spec.directions[direction]
            assert batch["translate_to"][row] == tokenizer.language_id(source)
            real = x["encoder_padding_mask"][row] > 0
            assert set(x["encoder_language_ids"][row][real]) == {tokenizer.language_id(target)}
            text = (
                tokenizer.detokenize(
                    tf.constant(
                        x["decoder_token_ids"][row][1:][x["decoder_padding_mask"][row][1:] > 0]
                    )
                )
                .numpy()
                .decode()
            )
            # (The decoder side may be cut to its length.)
            assert any(e.startswith(text) for e in english) == (target == "en")


def test_mono_files_feed_the_languages(tokenizer_dir, tmp_path):
    for language, lines in (("en", ["one two", "three four"]), ("fr", ["un deux"])):
        (tmp_path / "mono").mkdir(exist_ok=True)
        (tmp_path / "mono" / f"{language}.train.txt").write_text("\n".join(lines) + "\n")
    spec = _spec(
        tokenizer_dir,
        monolingual="mono",
        noise={"shuffle_distance": 0.0, "dropout": 0.0, "blank": 0.0},
    )
    texts = set()
    for batch in pipelines.ae_dataset(spec, str(tmp_path)).take(4):
        ids = tf.ragged.boolean_mask(batch["labels"], batch["sample_weight"] > 0)
        texts |= {t.decode() for t in spec.preprocessor.tokenizer.detokenize(ids).numpy()}
    assert texts == {"one two", "three four", "un deux"}
    (tmp_path / "mono" / "fr.train.txt").unlink()
    with pytest.raises(ValueError, match=r"no mono/fr.train.txt .* data.monolingual='halves'"):
        pipelines.ae_dataset(spec, str(tmp_path))


def test_input_pipelines_read_disjoint_shares_of_a_language(tokenizer_dir, corpus_dir):
    spec = _spec(tokenizer_dir)
    english = pipelines.monolingual_sentences(
        corpus_dir, "train", "en", ["fr"], CorpusStats(), HOLD_OUT
    )
    shares = [
        {
            t.decode()
            for t in pipelines.monolingual_dataset(
                spec, corpus_dir, "en", (index, 2)
            ).as_numpy_iterator()
        }
        for index in (0, 1)
    ]
    assert not shares[0] & shares[1]
    assert shares[0] | shares[1] == set(english)
