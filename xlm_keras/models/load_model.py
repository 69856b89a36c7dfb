"""Load whatever a preset directory holds: its task, else its backbone."""

import os

from xlm_keras.models import preset_files
from xlm_keras.models import presets
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_causal_lm import XLMCausalLM
from xlm_keras.models.xlm_masked_lm import XLMMaskedLM
from xlm_keras.models.xlm_seq2seq_lm import XLMSeq2SeqLM
from xlm_keras.models.xlm_span_qa import XLMSpanQA
from xlm_keras.models.xlm_text_classifier import XLMTextClassifier
from xlm_keras.models.xlm_token_classifier import XLMTokenClassifier

# Class name in `task.json` -> task class.
TASKS = {
    cls.__name__: cls
    for cls in (
        XLMMaskedLM,
        XLMCausalLM,
        XLMTextClassifier,
        XLMTokenClassifier,
        XLMSpanQA,
        XLMSeq2SeqLM,
    )
}


def load_model(preset_dir):
    """The preset's task (class named in `task.json`: one of `TASKS`), else
    its `XLMBackbone`. A preset that lost a file of its task is refused
    (`preset_files.check_task_files`), not loaded as a backbone."""
    if not os.path.isfile(os.path.join(preset_dir, "config.json")):
        raise FileNotFoundError(
            f"{preset_dir!r} is not a model preset (no config.json). Pass the "
            "directory written by save_to_preset / xlm-convert, or a training "
            "workdir's `preset` directory."
        )
    preset_files.check_files(preset_dir)
    preset_files.check_task_files(preset_dir)
    return TASKS.get(presets.saved_task_name(preset_dir), XLMBackbone).from_preset(preset_dir)
