"""`xlm-translate`: the lines it writes are `translate()`'s (what `xlm-eval`
scores), one per input line, stdin and a file read alike (invalid UTF-8
replaced and counted once), long lines counted once, and a user's mistake is
one line."""

import subprocess
import sys

import pytest

from tests.helpers import tiny_translator
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import load_model
from xlm_keras.translation.evaluation import translate
from xlm_keras.translation.long_lines import count_cut_lines

pytestmark = pytest.mark.slow  # Starts the program in a fresh process.

LINES = ["Open the file.", "", "Save the document before you close it.", "Print"]


@pytest.fixture(scope="module")
def preset(tokenizer_dir, tmp_path_factory):
    model = tiny_translator(XLMTokenizer.from_preset(tokenizer_dir))
    directory = str(tmp_path_factory.mktemp("mt") / "preset")
    model.save_to_preset(directory)
    return directory


def _run(*flags, stdin=""):
    """The program's result; `stdin` and the outputs are text whose lone
    surrogates stand for bytes that are not UTF-8 ("\\udcff": 0xff)."""
    return subprocess.run(
        [sys.executable, "-m", "xlm_keras.cli.translate", *flags],
        input=stdin,
        capture_output=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=300,
    )


@pytest.mark.parametrize("num_beams", [1, 2])
def test_translates_each_line_as_translate_does(preset, tmp_path, num_beams):
    directory = preset
    source = tmp_path / "in.txt"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    result = _run(
        f"--preset={directory}",
        "--source_language=en",
        "--target_language=fr",
        f"--input={source}",
        f"--num_beams={num_beams}",
        "--batch_size=2",
    )
    assert result.returncode == 0, result.stderr
    texts = [line for line in LINES if line]
    # A fresh load: tokenizer objects do not outlive a test (tf-text#570).
    expected = iter(translate(load_model(directory), texts, ("en", "fr"), 8, num_beams))
    assert result.stdout.split("\n")[:-1] == [next(expected) if line else "" for line in LINES]
    assert "4/4 lines" in result.stderr


@pytest.mark.parametrize(
    "flags, message, exit_code",
    [
        (["--source_language=en", "--target_language=fr"], "give --preset", 1),
        (["--source_language=xx", "--target_language=fr"], "--source_language='xx'", 1),
        # Flags that do not parse: the command line's error, exit 2.
        (["--source_language=en", "--target_language=fr", "--num_beams=0"], "num_beams", 2),
        (["--source_language=en", "--target_language=fr", "--length_penalty=nan"], "nan", 2),
    ],
)
def test_mistakes_are_one_line(preset, flags, message, exit_code):
    directory = preset
    if "give --preset" not in message:
        flags = [f"--preset={directory}", *flags]
    result = _run(*flags, stdin="Hello\n")
    assert result.returncode == exit_code
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("xlm-translate: error:") and message in last, last


# Lines 2 and 4 hold bytes that are not UTF-8 (0xff; Latin-1 0xe9).
INVALID_UTF8 = b"Open the file.\nSave the \xff document.\n\nPrint the r\xe9sum\xe9\n"


def test_stdin_and_a_file_are_read_alike_and_invalid_utf8_is_counted_once(preset, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes(INVALID_UTF8)
    flags = (f"--preset={preset}", "--source_language=en", "--target_language=fr")
    from_stdin = _run(*flags, stdin=INVALID_UTF8.decode("utf-8", "surrogateescape"))
    from_file = _run(*flags, f"--input={source}")
    texts = INVALID_UTF8.decode("utf-8", "replace").splitlines()
    translations = iter(translate(load_model(preset), [t for t in texts if t], ("en", "fr"), 8))
    expected = [next(translations) if text else "" for text in texts]
    for result in (from_stdin, from_file):
        assert result.returncode == 0, result.stderr
        assert result.stdout.split("\n")[:-1] == expected
        notes = [line for line in result.stderr.splitlines() if "UTF-8" in line]
        assert notes == ["xlm-translate: 2 input lines had invalid UTF-8, replaced with U+FFFD"]
        assert "source length" not in result.stderr


def test_lines_cut_at_the_source_length_are_counted_once(preset):
    long_line = " ".join(["Save the document before you close it."] * 4)
    result = _run(
        f"--preset={preset}",
        "--source_language=en",
        "--target_language=fr",
        "--batch_size=2",
        stdin=f"{long_line}\nPrint\n{long_line}\n",
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    notes = [line for line in result.stderr.splitlines() if "source length" in line]
    assert notes == [
        "xlm-translate: cut 2 input lines at the model's source length (16 tokens, specials "
        "included); only their start is translated"
    ]


def test_count_cut_lines_counts_the_lines_with_more_pieces_than_a_row_holds(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    model = tiny_translator(tokenizer, source_length=16)
    words = "Save the document before you close it and print the report twice".split()
    lines = ["", *(" ".join(words[:n]) for n in range(1, len(words) + 1))]
    # Reference: a row holds 16 - 2 pieces between its frame tokens.
    lengths = [len(tokenizer.tokenize(line)) for line in lines]
    assert min(lengths) < 14 < max(lengths)  # Lines on both sides of the limit.
    assert count_cut_lines(model, lines, "en", batch_size=3) == sum(n > 14 for n in lengths)
