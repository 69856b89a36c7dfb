import collections
import json
import re
import subprocess
import sys

import pytest
import sentencepiece as spm
from absl import app

from tests.sentencepiece_fixtures import LANGUAGES
from tests.sentencepiece_fixtures import VOCABULARY_SIZE
from xlm_keras.cli.tokenizer import corpora_from_flags
from xlm_keras.data import language_sampling_probabilities
from xlm_keras.data.sentencepiece_training import sample_sentences
from xlm_keras.data.sentencepiece_training import train_sentencepiece
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import train_tokenizer

SIZES = {"en": 600, "fr": 120, "sw": 12}


@pytest.fixture
def imbalanced_corpora(tmp_path):
    corpora = {}
    for code, size in SIZES.items():
        path = tmp_path / f"{code}.txt"
        path.write_text("".join(f"{code} sentence {i}\n" for i in range(size)))
        corpora[code] = [str(path)]
    return corpora


def test_language_sampling_probabilities():
    total = sum(SIZES.values())
    shares = {code: size / total for code, size in SIZES.items()}
    weights = {code: share**0.3 for code, share in shares.items()}
    expected = {code: w / sum(weights.values()) for code, w in weights.items()}
    assert language_sampling_probabilities(SIZES, 0.3) == pytest.approx(expected)
    assert language_sampling_probabilities(SIZES, 1.0) == pytest.approx(shares)
    assert language_sampling_probabilities(SIZES, 0.0) == pytest.approx(
        {code: 1 / 3 for code in SIZES}
    )


def test_sample_proportions_follow_q(imbalanced_corpora):
    q = language_sampling_probabilities(SIZES, 0.3)
    sample = sample_sentences(imbalanced_corpora, 0.3, max_sentences=500, seed=0)
    total = sum(len(lines) for lines in sample.values())
    assert total == pytest.approx(500, abs=2)
    for code in SIZES:
        assert len(sample[code]) / total == pytest.approx(q[code], abs=0.005)
    # The big language is subsampled, the small one repeated evenly.
    assert len(set(sample["en"])) == len(sample["en"]) < SIZES["en"]
    uses = collections.Counter(sample["sw"])
    assert len(uses) == SIZES["sw"] and max(uses.values()) - min(uses.values()) <= 1

    assert sample == sample_sentences(imbalanced_corpora, 0.3, 500, seed=0)
    assert sample != sample_sentences(imbalanced_corpora, 0.3, 500, seed=1)
    assert sum(map(len, sample_sentences(imbalanced_corpora, 1.0, 10**6).values())) == sum(
        SIZES.values()
    )


def test_sample_reads_each_file_once_in_every_layout(tmp_path, monkeypatch):
    import gzip
    import lzma

    from xlm_keras.data import sentencepiece_training

    lines = [f"en sentence {i}" for i in range(90)]
    shards = [tmp_path / "en.train-00000-of-00003.txt", tmp_path / "en.train.txt.gz"]
    shards[0].write_text("".join(f"{line}\n" for line in lines[:30]))
    shards[1].write_bytes(gzip.compress("".join(f"{line}\n" for line in lines[30:60]).encode()))
    shards.append(tmp_path / "en.train.txt.xz")
    shards[2].write_bytes(lzma.compress("".join(f"{line}\n" for line in lines[60:]).encode()))
    french = tmp_path / "fr.train.txt"
    french.write_text("une phrase\n\nbad \x00 line\nune autre phrase\n")
    opened = []
    read = sentencepiece_training.raw_lines
    monkeypatch.setattr(
        sentencepiece_training,
        "raw_lines",
        lambda path, stats: opened.append(path) or read(path, stats),
    )
    corpora = {"en": [str(path) for path in shards], "fr": [str(french)]}
    sample = sample_sentences(corpora, 1.0, max_sentences=1000)
    assert sorted(opened) == sorted(str(path) for path in [*shards, french])
    # Every line of every file, in file order; the empty and NUL lines are not used.
    assert sample["en"] == lines
    assert set(sample["fr"]) == {"une phrase", "une autre phrase"}


def test_sample_of_a_large_language_is_uniform_over_its_lines(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text("".join(f"line {i}\n" for i in range(200)))
    uses = collections.Counter()
    for seed in range(300):
        sample = sample_sentences({"en": [str(path)]}, 1.0, max_sentences=20, seed=seed)["en"]
        assert len(sample) == len(set(sample)) == 20
        uses.update(sample)
    # Each line is in 300 * 20 / 200 = 30 samples on average (binomial sd 5.2),
    # the first lines (kept until replaced) and the last (seen once) alike.
    assert len(uses) == 200
    assert all(30 - 22 < n < 30 + 22 for n in uses.values())
    assert abs(sum(uses[f"line {i}"] for i in range(20)) / 20 - 30) < 6
    assert abs(sum(uses[f"line {i}"] for i in range(180, 200)) / 20 - 30) < 6


def test_trained_preset_has_the_native_layout(native_preset):
    assets = f"{native_preset}/assets/tokenizer"
    with open(f"{native_preset}/tokenizer.json") as f:
        assert json.load(f)["config"]["languages"] == LANGUAGES
    model = spm.SentencePieceProcessor(model_file=f"{assets}/vocabulary.spm")
    assert (model.bos_id(), model.pad_id(), model.eos_id(), model.unk_id()) == (0, 1, 2, 3)
    assert model.id_to_piece(4) == "<mask>" and not model.is_control(4)

    tokenizer = XLMTokenizer.from_preset(native_preset)
    assert tokenizer.id_convention == "native"
    assert tokenizer.vocabulary_size() == VOCABULARY_SIZE
    assert tokenizer.get_vocabulary()[:5] == ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    assert tokenizer.mask_token_id == 4
    # `en` was gzipped: its text is covered too.
    assert tokenizer.unk_token_id not in tokenizer("Hello world!").numpy()


def test_language_order_and_seed(corpora, native_preset, tmp_path):
    order = ["zh", "en", "ar", "fr", "he", "hi", "ru"]
    tokenizer = train_tokenizer(
        corpora, str(tmp_path), VOCABULARY_SIZE, languages=order, character_coverage=1.0
    )
    assert tokenizer.languages == order
    assert tokenizer.language_id("zh") == 0
    assert tokenizer.proto == XLMTokenizer.from_preset(native_preset).proto


def test_bad_arguments_fail_before_reading(corpora, tmp_path):
    out = str(tmp_path)
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        train_tokenizer({"en": ["nope.txt"]}, out, 100)
    with pytest.raises(ValueError, match=r"must list the languages of corpora"):
        train_tokenizer(corpora, out, 100, languages=["en", "fr"])
    with pytest.raises(ValueError, match="model_type must be one of"):
        train_tokenizer(corpora, out, 100, model_type="word")
    with pytest.raises(ValueError, match="vocabulary_size"):
        train_tokenizer(corpora, out, 5)
    with pytest.raises(ValueError, match=r"character_coverage must be in \[0.98, 1\]"):
        train_tokenizer(corpora, out, 100, character_coverage=0.9)
    with pytest.raises(ValueError, match="non-empty list of text files"):
        train_tokenizer({"en": corpora["en"][0]}, out, 100)


def test_cli_reads_input_flags(corpora, tmp_path):
    assert corpora_from_flags([f"fr:{corpora['fr'][0]}", f"en:{corpora['en'][0]}"], None) == {
        "fr": corpora["fr"],
        "en": corpora["en"],
    }
    names = ["en.txt", "en.part2.txt.gz", "sw.train-00000-of-00002.txt.xz", "sw.train.txt"]
    for name in [*names, "notes.md"]:
        (tmp_path / name).write_text("x\n")
    assert corpora_from_flags([], str(tmp_path)) == {
        "en": [str(tmp_path / "en.part2.txt.gz"), str(tmp_path / "en.txt")],
        "sw": [str(tmp_path / "sw.train-00000-of-00002.txt.xz"), str(tmp_path / "sw.train.txt")],
    }


@pytest.mark.parametrize(
    "inputs, input_dir, message",
    [
        (["en:missing.txt"], None, "files not found: ['missing.txt']"),
        (["en"], None, "is not lang:path"),
        ([], None, "either --input"),
        (["en:a.txt"], "corpus/", "either --input"),
        ([], "/nonexistent", "has no <lang>.txt"),
    ],
)
def test_cli_rejects_bad_inputs(inputs, input_dir, message):
    with pytest.raises(app.UsageError, match=re.escape(message)):
        corpora_from_flags(inputs, input_dir)


@pytest.mark.slow
def test_cli_trains_a_bpe_tokenizer_with_byte_fallback(corpora, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlm_keras.cli.tokenizer",
            *[f"--input={code}:{paths[0]}" for code, paths in corpora.items()],
            f"--output_dir={tmp_path}",
            "--vocabulary_size=700",
            "--model_type=bpe",
            "--byte_fallback",
            "--character_coverage=0.99",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    tokenizer = XLMTokenizer.from_preset(str(tmp_path))
    assert tokenizer.languages == LANGUAGES
    assert tokenizer.vocabulary_size() == 700
    # An unseen character is spelled as bytes, so it survives the round trip.
    ids = tokenizer("unseen ꙮ")
    assert tokenizer.unk_token_id not in ids.numpy()
    assert tokenizer.detokenize(ids).numpy().decode() == "unseen ꙮ"


def test_truncated_gzip_is_sampled_up_to_the_damage(tmp_path, caplog):
    import gzip

    data = gzip.compress("".join(f"fr sentence {i}\n" for i in range(400)).encode())
    damaged = tmp_path / "fr.txt.gz"
    damaged.write_bytes(data[: len(data) // 2])
    english = tmp_path / "en.txt"
    english.write_text("".join(f"en sentence {i}\n" for i in range(50)))
    sample = sample_sentences({"en": [str(english)], "fr": [str(damaged)]}, max_sentences=100)
    assert sample["fr"] and all(line.startswith("fr sentence") for line in sample["fr"])
    assert any(str(damaged) in record.getMessage() for record in caplog.records)


def test_too_large_a_vocabulary_is_one_line_naming_the_setting_and_the_most(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text("hello world\nthis is a test\nanother line here\n")
    with pytest.raises(ValueError) as error:
        train_sentencepiece({"en": [str(path)]}, 4000)
    message = str(error.value)
    assert message.startswith("vocabulary_size=4000 is more pieces than SentencePiece can learn")
    assert "at most 23" in message and "data.vocabulary_size" in message
    assert "--vocabulary_size" in message and "\n" not in message


def test_too_small_a_vocabulary_for_the_characters_is_one_line(tmp_path):
    path = tmp_path / "en.txt"
    path.write_text("".join(f"{chr(0x4E00 + i)}{chr(0x4E80 + i)}\n" for i in range(60)))
    with pytest.raises(ValueError) as error:
        train_sentencepiece({"en": [str(path)]}, 20)
    message = str(error.value)
    assert message.startswith("vocabulary_size=20 is fewer pieces than the ")
    assert "character_coverage=0.9995" in message and "data.vocabulary_size" in message
