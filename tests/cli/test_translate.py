"""`xlm-translate`: the lines it writes are `translate()`'s (what `xlm-eval`
scores), one per input line, and a user's mistake is one line."""

import subprocess
import sys

import pytest

from tests.helpers import tiny_translator
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import load_model
from xlm_keras.translation.evaluation import translate

pytestmark = pytest.mark.slow  # Starts the program in a fresh process.

LINES = ["Open the file.", "", "Save the document before you close it.", "Print"]


@pytest.fixture(scope="module")
def preset(tokenizer_dir, tmp_path_factory):
    model = tiny_translator(XLMTokenizer.from_preset(tokenizer_dir))
    directory = str(tmp_path_factory.mktemp("mt") / "preset")
    model.save_to_preset(directory)
    return directory


def _run(*flags, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "xlm_keras.cli.translate", *flags],
        input=stdin,
        capture_output=True,
        text=True,
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
    "flags, message",
    [
        (["--source_language=en", "--target_language=fr"], "give --preset"),
        (["--source_language=xx", "--target_language=fr"], "--source_language='xx'"),
        (["--source_language=en", "--target_language=fr", "--num_beams=0"], "num_beams"),
        (["--source_language=en", "--target_language=fr", "--length_penalty=nan"], "nan"),
    ],
)
def test_mistakes_are_one_line(preset, flags, message):
    directory = preset
    if "give --preset" not in message:
        flags = [f"--preset={directory}", *flags]
    result = _run(*flags, stdin="Hello\n")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("xlm-translate: error:") and message in last, last
