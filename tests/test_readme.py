"""The README's quickstart and test command, and docs/models.md's raw-text
example, are the ones that work."""

import os
import re
import subprocess
import sys

import pytest

from xlm_keras import XLMBackbone
from xlm_keras import XLMMaskedLM
from xlm_keras import XLMMaskedLMPreprocessor
from xlm_keras import XLMSpanQA
from xlm_keras import XLMSpanQAPreprocessor
from xlm_keras import XLMTextClassifier
from xlm_keras import XLMTextClassifierPreprocessor
from xlm_keras import XLMTokenClassifier
from xlm_keras import XLMTokenClassifierPreprocessor
from xlm_keras import XLMTokenizer
from xlm_keras.models import presets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where the README's quickstart trains; the test runs it in a temporary directory instead.
QUICKSTART_WORKDIR = "/tmp/run"


def _read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as f:
        return f.read()


def _block(text, heading, language):
    """The first ```language block after `heading` (a line of the page)."""
    section = text.split(f"\n{heading}\n", 1)[1]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


def test_ci_runs_the_readme_test_command():
    test_command = re.search(r"Full suite .*?```bash\n(.*?)\n```", _read("README.md"), re.S).group(
        1
    )
    assert test_command in _read(".ci", "run").splitlines()


@pytest.mark.slow
def test_quickstart_runs_verbatim(tmp_path):
    """`xlm-train --workdir=/tmp/run` as a process (the installed console
    script), then the Python block on the preset it wrote."""
    readme = _read("README.md")
    workdir = str(tmp_path / "run")
    command = _block(readme, "## Quickstart", "bash")
    code = _block(readme, "## Quickstart", "python")
    assert QUICKSTART_WORKDIR in command and QUICKSTART_WORKDIR in code
    scripts = os.path.dirname(sys.executable)  # Where pip put xlm-train.
    env = dict(os.environ, PATH=scripts + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command.replace(QUICKSTART_WORKDIR, workdir)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert os.path.isfile(os.path.join(workdir, "preset", "task.weights.h5"))

    namespace = {}
    exec(code.replace(QUICKSTART_WORKDIR, workdir), namespace)
    ((top_5,),) = namespace["filled"]  # One text, one <mask>.
    assert len(top_5) == 5
    assert all(isinstance(token, str) and 0 <= p <= 1 for token, p in top_5)
    assert namespace["logits"].shape == (2, 2)
    assert all(label in ("question", "statement") for label in namespace["labels"])


def _write_presets(directory):
    """Tiny random-weight presets (golden tokenizer: de, en, fr) where the
    models page's example looks for fine-tuned ones."""
    tokenizer = XLMTokenizer.from_preset(os.path.join(ROOT, "tests", "golden", "tokenizer"))
    config = dict(
        presets.backbone_config("xlm_tiny"),
        vocabulary_size=tokenizer.vocabulary_size(),
        num_languages=3,
    )
    tasks = {
        "topic": (
            XLMTextClassifier,
            XLMTextClassifierPreprocessor,
            dict(num_classes=3, label_names=["writer", "calc", "impress"]),
        ),
        "mlm": (XLMMaskedLM, XLMMaskedLMPreprocessor, {}),
        "ner": (
            XLMTokenClassifier,
            XLMTokenClassifierPreprocessor,
            dict(num_classes=3, label_names=["O", "B-LOC", "B-PER"]),
        ),
        "qa": (XLMSpanQA, XLMSpanQAPreprocessor, {}),
    }
    for name, (task_cls, preprocessor_cls, kwargs) in tasks.items():
        preprocessor = preprocessor_cls(tokenizer, sequence_length=32)
        task_cls(XLMBackbone(**config), preprocessor=preprocessor, **kwargs).save_to_preset(
            str(directory / "presets" / name)
        )


def test_models_page_example_runs_on_raw_text(tmp_path, monkeypatch):
    code = _block(_read("docs", "models.md"), "## Raw text in, predictions out", "python")
    monkeypatch.chdir(tmp_path)
    _write_presets(tmp_path)
    namespace = {}
    exec(code, namespace)
    assert namespace["logits"].shape == (2, 3)  # Logits [batch, classes].
    assert all(label in ("writer", "calc", "impress") for label in namespace["labels"])
    assert len(namespace["labels"]) == 2
    (masks,) = namespace["filled"]
    assert len(masks) == 1 and len(masks[0]) == 5  # One <mask>, top 5.
    assert len(namespace["tags"][0]) == 4 and set(namespace["tags"][0]) <= {"O", "B-LOC", "B-PER"}
    (answer,) = namespace["answers"]
    assert answer in "Köln liegt am Rhein."
