"""Every program prints an expected error as one line without a traceback
(exit 2 for a command line that does not parse, 1 otherwise); a bug keeps
its traceback."""

import ast
import os
import pathlib
import subprocess
import sys

import pytest
from absl import flags

from tests.test_native_stderr import NOISE
from xlm_keras.cli import errors
from xlm_keras.cli.errors import run_program


@pytest.fixture
def no_flag_parsing(monkeypatch):
    """`app.run` without absl's flag parsing: other tests' programs define
    required flags in this process."""
    monkeypatch.setattr(errors.app, "run", lambda main, **kwargs: main(["xlm-test"]))


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


@pytest.mark.parametrize(
    "argument, message",
    [
        ("--length_penalty=nan", "flag --length_penalty=nan: must be a finite number >= 0"),
        ("--length_penalty=-1", "flag --length_penalty=-1.0: must be a finite number >= 0"),
        ("--length_penalty=inf", "flag --length_penalty=inf: must be a finite number >= 0"),
        ("--length_penalty=abc", "flag --length_penalty=abc: could not convert string to float"),
        ("--num_beams=0", "flag --num_beams=0: 0 is not a positive integer"),
        ("--colour=1", "Unknown command line flag 'colour'"),
    ],
)
def test_flag_errors_are_one_line_at_parse_time(argument, message, capsys):
    flag_values = flags.FlagValues()
    penalty = flags.DEFINE_float("length_penalty", 1.0, "", flag_values=flag_values)
    flags.DEFINE_integer("num_beams", 1, "", lower_bound=1, flag_values=flag_values)
    errors.check_range(penalty, 0, flag_values=flag_values)
    parse = errors.flags_parser("xlm-test", flag_values)
    with pytest.raises(SystemExit) as exit_info:
        parse(["xlm-test", argument])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"xlm-test: error: {message}") and error.count("\n") == 1, error
    assert parse(["xlm-test", "--length_penalty=0.5"]) == ["xlm-test"]


def test_flags_of_another_format_are_refused_at_parse_time(capsys):
    flag_values = flags.FlagValues()
    choice = flags.DEFINE_enum("format", "a", ["a", "b"], "", flag_values=flag_values)
    flags.DEFINE_integer("version", None, "", lower_bound=1, flag_values=flag_values)
    flags.DEFINE_bool("warmup", True, "", flag_values=flag_values)
    errors.refuse_flags_outside(choice, {"version": ("a",), "warmup": ("a",)}, flag_values)
    parse = errors.flags_parser("xlm-test", flag_values)
    with pytest.raises(SystemExit) as exit_info:
        parse(["xlm-test", "--format=b", "--warmup", "--version=2"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    assert "--format=b takes no --version (only a), --warmup (only a); drop it." in error
    assert parse(["xlm-test", "--format=a", "--version=2"]) == ["xlm-test"]
    flag_values.unparse_flags()
    assert parse(["xlm-test", "--format=b"]) == ["xlm-test"]


def test_every_numeric_flag_has_a_range():
    """Each DEFINE_integer has a lower_bound, each DEFINE_float a
    `check_range` (finite, in range: the configs' rule)."""
    unchecked = []
    for path in sorted(pathlib.Path(errors.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        ranged = {
            node.args[0].id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check_range"
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
                continue
            kind = getattr(node.value.func, "attr", "")
            if kind not in ("DEFINE_integer", "DEFINE_float"):
                continue
            name = node.targets[0].id
            keywords = {keyword.arg for keyword in node.value.keywords}
            if (kind == "DEFINE_integer" and "lower_bound" not in keywords) or (
                kind == "DEFINE_float" and name not in ranged
            ):
                unchecked.append(f"{path.name}: {name}")
    assert not unchecked


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
        "translate": (
            [f"--preset={tmp_path / 'missing'}", "--source_language=en", "--target_language=fr"],
            ["is not a model preset"],
        ),
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "program", ["train", "convert", "export", "eval", "tokenizer", "translate"]
)
def test_programs_print_expected_errors_as_one_line(program, tmp_path):
    arguments, words = _cases(tmp_path)[program]
    _assert_one_line_error(program, arguments, words)


MT_CONFIG = str(pathlib.Path(__file__).resolve().parents[2] / "configs" / "mt_enfr.py")
# The programs' misuses documented in docs/reliability.md: (program, arguments,
# words of the error line); `{tmp}` is the test's directory.
MISUSES = [
    (
        "export",
        ["--preset={tmp}", "--export_dir={tmp}/x", "--length_penalty=nan"],
        ["flag --length_penalty=nan: must be a finite number >= 0"],
    ),
    (
        "export",
        ["--preset={tmp}", "--export_dir={tmp}/x", "--length_penalty=-1"],
        ["flag --length_penalty=-1.0: must be a finite number >= 0"],
    ),
    ("export", ["--preset={tmp}"], ["--export_dir"]),
    (
        "export",
        ["--preset={tmp}", "--export_dir={tmp}/x", "--format=transformers", "--signatures=embed"],
        ["--format=transformers takes no --signatures (only saved_model)"],
    ),
    (
        "export",
        ["--preset={tmp}", "--workdir={tmp}", "--export_dir={tmp}/x"],
        ["Pass exactly one of --preset or --workdir"],
    ),
    ("eval", ["--preset={tmp}", "--num_beams=0"], ["flag --num_beams=0"]),
    (
        "tokenizer",
        [
            "--input=en:{tmp}/en.txt",
            "--output_dir={tmp}/t",
            "--vocabulary_size=9",
            "--sample_alpha=nan",
        ],
        ["flag --sample_alpha=nan: must be a finite number"],
    ),
    (
        "tokenizer",
        ["--input=en:{tmp}/en.txt", "--output_dir={tmp}/t", "--vocabulary_size=4000"],
        ["vocabulary_size=4000 is more pieces than SentencePiece can learn", "--vocabulary_size"],
    ),
    (
        "train",
        [f"--config={MT_CONFIG}", "--workdir={tmp}/w", "--config.translation.directions="],
        ["translation.directions: '' names no direction"],
    ),
    ("train", ["--workdir={tmp}/w", "--config.train.num_steps=abc"], ["config.train.num_steps"]),
    (
        "convert",
        ["--source=xlm", "--input={tmp}", "--output={tmp}/out"],
        ["An XLM checkpoint is one .pth file"],
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("program, arguments, words", MISUSES)
def test_documented_misuses_are_one_line_errors(program, arguments, words, tmp_path):
    (tmp_path / "en.txt").write_text("hello world\nthis is a test\n")
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    _assert_one_line_error(program, arguments, words)


def _assert_one_line_error(program, arguments, words):
    """`xlm-<program> arguments` exits 1 (2: the command line does not
    parse) with one `xlm-<program>: error:` line holding `words`, last on
    stderr, and no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", f"xlm_keras.cli.{program}", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (1, 2), result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"xlm-{program}: ")]
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith(f"xlm-{program}: error: ")
    assert result.stderr.splitlines()[-1] == lines[0], result.stderr[-2000:]
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.slow
def test_programs_print_no_start_up_line(tmp_path):
    # absl runs TensorFlow's callback that lists the devices before `main`:
    # without a CUDA driver TensorFlow would print a failed cuInit, at any
    # TF_CPP_MIN_LOG_LEVEL.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "xlm_keras.cli.eval", f"--preset={tmp_path / 'missing'}"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("xlm-eval: error: "), result.stderr
    assert not [line for line in lines if "cuInit" in line or any(w in line for w in NOISE)]
