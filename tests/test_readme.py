"""The README's commands and example are the ones that work."""

import os
import re

import transformers

from tests.convert import reference_models as ref

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme():
    with open(os.path.join(ROOT, "README.md")) as f:
        return f.read()


def test_ci_runs_the_readme_test_command():
    test_command = re.search(r"Test .*?```bash\n(.*?)\n```", _readme(), re.S).group(1)
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        assert test_command in f.read().splitlines()


def test_five_line_example_runs(tmp_path, monkeypatch):
    code = re.search(r"## Five lines\n\n```python\n(.*?)```", _readme(), re.S).group(1)
    assert len(code.strip().splitlines()) == 5
    monkeypatch.chdir(tmp_path)
    transformers.XLMRobertaForMaskedLM(ref.xlm_roberta_config()).save_pretrained("xlm-roberta-base")
    namespace = {}
    exec(code, namespace)
    assert namespace["logits"].shape == (1, 1, 1000)
    assert os.path.exists(tmp_path / "presets" / "xlmr_base" / "task.weights.h5")
