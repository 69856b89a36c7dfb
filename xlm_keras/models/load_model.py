"""Load whatever a preset directory holds: its task, else its backbone."""

import json
import os

from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_causal_lm import XLMCausalLM
from xlm_keras.models.xlm_masked_lm import XLMMaskedLM
from xlm_keras.models.xlm_span_qa import XLMSpanQA
from xlm_keras.models.xlm_text_classifier import XLMTextClassifier
from xlm_keras.models.xlm_token_classifier import XLMTokenClassifier

# Class name in `task.json` -> task class.
TASKS = {
    cls.__name__: cls
    for cls in (XLMMaskedLM, XLMCausalLM, XLMTextClassifier, XLMTokenClassifier, XLMSpanQA)
}


def load_model(preset_dir):
    """The preset's task (class named in `task.json`: one of `TASKS`), else
    its `XLMBackbone`."""
    if not os.path.isfile(os.path.join(preset_dir, "config.json")):
        raise FileNotFoundError(
            f"{preset_dir!r} is not a model preset (no config.json). Pass the "
            "directory written by save_to_preset / xlm-convert, or a training "
            "workdir's `preset` directory."
        )
    task_file = os.path.join(preset_dir, "task.json")
    class_name = None
    if os.path.isfile(task_file):
        with open(task_file, encoding="utf-8") as f:
            class_name = json.load(f).get("class_name", "").split(">")[-1]
    return TASKS.get(class_name, XLMBackbone).from_preset(preset_dir)
