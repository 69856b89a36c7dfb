"""Checkpoint converters: Hugging Face, fairseq and facebookresearch/XLM
checkpoints to keras-hub preset directories."""

from xlm_keras.convert.fairseq import read_fairseq
from xlm_keras.convert.hf import read_hf
from xlm_keras.convert.to_keras import build_model
from xlm_keras.convert.to_keras import write_preset
from xlm_keras.convert.xlm_original import read_xlm

READERS = {"hf": read_hf, "fairseq": read_fairseq, "xlm": read_xlm}


def convert_checkpoint(source, input_path, output_dir):
    """Convert a checkpoint into a preset directory.

    Args:
        source: `"hf"` (Hugging Face directory), `"fairseq"` (XLM-R
            `model.pt` or its directory) or `"xlm"` (facebookresearch/XLM
            `.pth`).
        input_path: path of the checkpoint.
        output_dir: preset directory to write; load it with
            `xlm_keras.models.load_model(output_dir)`, or the class's
            `from_preset`: `XLMBackbone`, `XLMMaskedLM` / `XLMCausalLM` (LM
            head), `XLMTextClassifier` / `XLMTokenClassifier` / `XLMSpanQA`
            (a fine-tuned Hugging Face head).

    Returns: the converted Keras model.
    """
    if source not in READERS:
        raise ValueError(
            f"Unknown checkpoint source {source!r}; supported: {sorted(READERS)}."
        )
    return write_preset(READERS[source](input_path), output_dir)
