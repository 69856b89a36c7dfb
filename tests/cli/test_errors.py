"""Every program prints an expected error as one line and exits 1 without a
traceback; a bug keeps its traceback."""

import subprocess
import sys

import pytest

from xlm_keras.cli import errors
from xlm_keras.cli.errors import run_program


@pytest.fixture
def no_flag_parsing(monkeypatch):
    """`app.run` without absl's flag parsing: other tests' programs define
    required flags in this process."""
    monkeypatch.setattr(errors.app, "run", lambda main: main(["xlm-test"]))


def test_expected_error_is_one_line_on_stderr(no_flag_parsing, capsys):
    def main(argv):
        raise ValueError("Invalid config: a: must be >= 0;\n  b: must be > 0")

    with pytest.raises(SystemExit) as exit_info:
        run_program(main, "xlm-test")
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == (
        "xlm-test: error: Invalid config: a: must be >= 0; b: must be > 0\n"
    )


def test_a_bug_keeps_its_traceback(no_flag_parsing):
    def main(argv):
        raise KeyError("bug")

    with pytest.raises(KeyError):
        run_program(main, "xlm-test")


def _cases(tmp_path):
    """program -> (arguments, words the error line must hold)."""
    (tmp_path / "file").write_text("")
    (tmp_path / "empty.txt").write_text("")
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text("{not json")
    return {
        "train": (
            [f"--workdir={tmp_path / 'file'}", "--config.optimizer.warmup_steps=-5"],
            ["--workdir", "optimizer.warmup_steps"],
        ),
        "convert": (
            ["--source=hf", f"--input={hf}", f"--output={tmp_path / 'out'}"],
            ["config.json is not valid JSON"],
        ),
        "export": (
            [f"--preset={tmp_path}", f"--export_dir={tmp_path / 'file' / 'models'}"],
            ["Cannot write export_dir"],
        ),
        "eval": ([f"--preset={tmp_path / 'missing'}"], ["is not a model preset"]),
        "tokenizer": (
            [
                f"--input=en:{tmp_path / 'empty.txt'}",
                "--vocabulary_size=100",
                f"--output_dir={tmp_path / 'tok'}",
            ],
            ["No usable lines for ['en']"],
        ),
    }


@pytest.mark.parametrize("program", ["train", "convert", "export", "eval", "tokenizer"])
def test_programs_print_expected_errors_as_one_line(program, tmp_path):
    arguments, words = _cases(tmp_path)[program]
    result = subprocess.run(
        [sys.executable, "-m", f"xlm_keras.cli.{program}", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"xlm-{program}: ")]
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith(f"xlm-{program}: error: ")
    for word in words:
        assert word in lines[0], lines[0]
