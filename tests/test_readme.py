"""The README's commands and example are the ones that work."""

import os
import re

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


def _readme():
    with open(os.path.join(ROOT, "README.md")) as f:
        return f.read()


def test_ci_runs_the_readme_test_command():
    test_command = re.search(r"Test .*?```bash\n(.*?)\n```", _readme(), re.S).group(1)
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        assert test_command in f.read().splitlines()


def _write_presets(directory):
    """Tiny random-weight presets (golden tokenizer: de, en, fr) where the
    README's first example looks for fine-tuned ones."""
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


def test_first_example_runs_on_raw_text(tmp_path, monkeypatch):
    code = re.search(
        r"## Raw text in, predictions out\n\n```python\n(.*?)```", _readme(), re.S
    ).group(1)
    monkeypatch.chdir(tmp_path)
    _write_presets(tmp_path)
    namespace = {}
    exec(code, namespace)
    assert all(label in ("writer", "calc", "impress") for label in namespace["labels"])
    assert len(namespace["labels"]) == 2
    (masks,) = namespace["filled"]
    assert len(masks) == 1 and len(masks[0]) == 5  # One <mask>, top 5.
    assert len(namespace["tags"][0]) == 4 and set(namespace["tags"][0]) <= {"O", "B-LOC", "B-PER"}
    (answer,) = namespace["answers"]
    assert answer in "Köln liegt am Rhein."
