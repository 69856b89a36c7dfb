"""Checkpoint converters: Hugging Face, fairseq and facebookresearch/XLM
checkpoints to keras-hub preset directories, and presets back out to
Hugging Face transformers directories (`export_transformers`)."""

import os

from xlm_keras.convert.fairseq import read_fairseq
from xlm_keras.convert.hf import read_hf
from xlm_keras.convert.to_keras import build_model
from xlm_keras.convert.to_keras import write_preset
from xlm_keras.convert.to_transformers import export_transformers
from xlm_keras.convert.xlm_original import read_xlm
from xlm_keras.paths import replace_directory

READERS = {"hf": read_hf, "fairseq": read_fairseq, "xlm": read_xlm}


def convert_checkpoint(source, input_path, output_dir, overwrite=False):
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
            (a fine-tuned Hugging Face head). Written to `output_dir.tmp`
            and moved into place, so it is never half written.
        overwrite: bool. Replace an existing non-empty `output_dir` whole
            (no file of the old preset is kept); without it, refuse.

    Returns: the converted Keras model.
    """
    if source not in READERS:
        raise ValueError(f"Unknown checkpoint source {source!r}; supported: {sorted(READERS)}.")
    _check_output(output_dir, overwrite)
    checkpoint = READERS[source](input_path)
    return replace_directory(output_dir, lambda temp: write_preset(checkpoint, temp))


def _check_output(output_dir, overwrite):
    """Refuse, before reading the checkpoint, to write over a file or, unless
    `overwrite`, over a non-empty directory (stale head files would load)."""
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise FileExistsError(f"Output {output_dir} is a file; pass a directory path.")
    if os.path.isdir(output_dir) and os.listdir(output_dir) and not overwrite:
        raise FileExistsError(
            f"Output directory {output_dir} is not empty; pass --overwrite (overwrite=True) "
            "to replace it whole, or choose another directory."
        )
