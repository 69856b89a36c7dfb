"""At default verbosity a program says what matters: the quickstart prints
its strategy, progress, the preset it wrote and one corpus summary, and a
preset loads without a word; TensorFlow's notices, the per-read corpus
counts and Keras' optimizer warning are held back or gone."""

import os
import subprocess
import sys

import pytest

from xlm_keras import XLMBackbone
from xlm_keras import XLMMaskedLM
from xlm_keras.models import XLMTokenizer

pytestmark = pytest.mark.slow  # Starts the programs in fresh processes.

# Words of the lines a default run must not print.
NOISE = (
    "] read ",  # A file's counts after each read: "readers.py:139] read <path>: kept N".
    "Tokenizer sample",
    "Sharding callback duration",
    "oneDNN",
    "Memory patch applied",
    "GeneratorDatasetOp",
    "cuInit",
    "Skipping variable loading",
)


def _run(args, cwd):
    """Run `args` as a user does: without the tests' TF_CPP_MIN_LOG_LEVEL."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=cwd, env=env)


def _noise(stderr):
    return [line for line in stderr.splitlines() if any(word in line for word in NOISE)]


def test_the_quickstart_prints_a_few_lines(tmp_path):
    # The quickstart's command, shortened: two checkpoints, one pass of each file.
    workdir = tmp_path / "run"
    result = _run(
        [
            os.path.join(os.path.dirname(sys.executable), "xlm-train"),
            f"--workdir={workdir}",
            "--config.train.num_steps=40",
            "--config.train.checkpoint_every=20",
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert not _noise(result.stderr), result.stderr
    assert len(lines) <= 4, result.stderr
    summaries = [line for line in lines if "Corpus lines read: kept" in line]
    assert len(summaries) == 1 and summaries[0].endswith("skipped 0 in 16 files"), lines
    assert any(f"Wrote preset {workdir}/preset" in line for line in lines), lines
    assert "step 40/40" in result.stdout


def test_a_preset_loads_without_a_warning(tokenizer_dir, tmp_path):
    # Saved compiled, as a user's model usually is; loaded compiled.
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    backbone = XLMBackbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        num_languages=len(tokenizer.languages),
    )
    XLMMaskedLM(backbone).save_to_preset(str(tmp_path / "preset"))
    tokenizer.save_to_preset(str(tmp_path / "preset"))
    code = (
        "import xlm_keras\n"
        "mlm = xlm_keras.XLMMaskedLM.from_preset('preset')\n"
        "print(type(mlm.optimizer).__name__)\n"
    )
    result = _run([sys.executable, "-c", code], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Adam\n"
    assert not _noise(result.stderr), result.stderr
