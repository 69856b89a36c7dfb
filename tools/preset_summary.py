"""Print every preset's shape and parameter count, or one preset's summary().

  python tools/preset_summary.py                      # table of all presets
  python tools/preset_summary.py --preset=xlm_roberta_base   # Keras summary()

Models are built in a Keras stateless scope with deferred variables, so no
weights are allocated (XLM-R XXL would need 43 GB otherwise).
"""

from absl import app
from absl import flags
from keras.src.backend import StatelessScope

import xlm_keras

_PRESET = flags.DEFINE_string("preset", None, "Print this preset's summary().")


def abstract_task(preset):
    """The preset's LM task (`XLMCausalLM` or `XLMMaskedLM`), unallocated."""
    task_cls = getattr(xlm_keras, xlm_keras.PRESETS[preset].task)
    with StatelessScope(initialize_variables=False):
        return task_cls.from_preset(preset, load_weights=False, compile=False)


def main(argv):
    del argv
    if _PRESET.value:
        task = abstract_task(_PRESET.value)
        task.backbone.summary()
        task.summary()
        return
    print("| preset | layers x width | backbone params | with LM head | description |")
    print("| --- | --- | ---: | ---: | --- |")
    for name, preset in xlm_keras.PRESETS.items():
        task = abstract_task(name)
        print(
            f"| `{name}` | {preset.config['num_layers']} x {preset.config['hidden_dim']} | "
            f"{task.backbone.count_params():,} | {task.count_params():,} | {preset.description} |"
        )


if __name__ == "__main__":
    app.run(main)
