"""`xlm-convert`: turn a published checkpoint into a keras-hub preset.

xlm-convert --source=hf --input=xlm-roberta-base/ --output=presets/xlmr_base
xlm-convert --source=fairseq --input=xlmr.base/model.pt --output=presets/xlmr
xlm-convert --source=xlm --input=mlm_tlm_xnli15_1024.pth --output=presets/xnli15
"""

from absl import app
from absl import flags

from xlm_keras.cli.errors import run_program

_SOURCE = flags.DEFINE_enum(
    "source",
    None,
    ["hf", "fairseq", "xlm"],
    "Checkpoint format: Hugging Face directory, fairseq model.pt, XLM .pth.",
)
_INPUT = flags.DEFINE_string("input", None, "Checkpoint file or directory.")
_OUTPUT = flags.DEFINE_string("output", None, "Preset directory to write.")
_OVERWRITE = flags.DEFINE_bool(
    "overwrite", False, "Replace a non-empty --output directory whole (else refused)."
)
flags.mark_flags_as_required(["source", "input", "output"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from xlm_keras.convert import convert_checkpoint

    model = convert_checkpoint(_SOURCE.value, _INPUT.value, _OUTPUT.value, _OVERWRITE.value)
    print(f"Wrote {type(model).__name__} ({model.count_params():,} parameters) to {_OUTPUT.value}")


def run():
    """Console-script entry point."""
    run_program(main, "xlm-convert")


if __name__ == "__main__":
    run()
