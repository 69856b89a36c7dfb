"""`xlm-export`: a preset as a versioned SavedModel for TF Serving, taking
raw strings (tokenisation in the graph), or as a model directory of another
engine (`--format=transformers`, `--format=ctranslate2`).

  xlm-export --workdir=/tmp/run --export_dir=/models/xlm           # next version
  xlm-export --preset=presets/xlmr_base --export_dir=/models/xlmr --version=3 \\
      --max_sequence_length=256 --signatures=embed,tokenize
  xlm-export --preset=runs/mt/preset --export_dir=/models/mt --num_beams=4 \\
      --length_penalty=1.0 --max_decode_length=128                 # translate
  xlm-export --preset=runs/mt/preset --export_dir=/models/mt_xla --jit_compile
      # translate with XLA for small requests (TF Serving: --xla_cpu_compilation_enabled=true)
  xlm-export --preset=runs/xnli/preset --export_dir=/models/xnli_hf --format=transformers
  xlm-export --preset=runs/mt/preset --export_dir=/models/mt_ct2 --format=ctranslate2 \\
      --quantization=int8 --directions=en-fr,fr-en

Writes export_dir/<version>/ (saved_model.pb, variables/, assets/,
assets.extra/tf_serving_warmup_requests, signatures.json), or for the other
formats export_dir itself (no version folder), and prints its path; see
docs/serving.md for serving it.
"""

import os

from absl import app
from absl import flags

from xlm_keras.cli.errors import check_range
from xlm_keras.cli.errors import refuse_flags_outside
from xlm_keras.cli.errors import run_program
from xlm_keras.serving.to_ctranslate2 import QUANTIZATIONS
from xlm_keras.translation.config import LENGTH_PENALTY_LOW

_PRESET = flags.DEFINE_string("preset", None, "Preset directory to export.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Training workdir: exports workdir/preset.")
_FORMAT = flags.DEFINE_enum(
    "format",
    "saved_model",
    ["saved_model", "transformers", "ctranslate2"],
    "saved_model: a versioned SavedModel for TF Serving; transformers: a Hugging Face model "
    "directory (config.json, model.safetensors, tokenizer files); ctranslate2: a CTranslate2 "
    "model directory of a translation model.",
)
_EXPORT_DIR = flags.DEFINE_string(
    "export_dir",
    None,
    "saved_model: base directory of versions (TF Serving's model base path); transformers, "
    "ctranslate2: the model directory itself, which must be missing or empty.",
)
_VERSION = flags.DEFINE_integer(
    "version", None, "Version to write (>= 1); default: the next free one.", lower_bound=1
)
_LENGTH = flags.DEFINE_integer(
    "max_sequence_length",
    None,
    "Longest packed input, specials included; default: where the preset's preprocessor cuts "
    "texts, as predict() does (its sequence_length; translate: its encoder_sequence_length), "
    "else the model's position table.",
    lower_bound=2,
)
_SIGNATURES = flags.DEFINE_list(
    "signatures",
    None,
    "Signatures besides serving_default (= embed), from embed, tokenize, encode, "
    "fill_mask, classify, classify_pair, tag, translate; default: all the model supports "
    "(a translation model: translate, also as serving_default).",
)
_TOP_K = flags.DEFINE_integer("top_k", 5, "Predictions per <mask> in fill_mask.", lower_bound=1)
_DECODE_LENGTH = flags.DEFINE_integer(
    "max_decode_length",
    None,
    "translate: longest translation in tokens, specials included; default: the preset "
    "preprocessor's decoder_sequence_length.",
    lower_bound=2,
)
_BEAMS = flags.DEFINE_integer(
    "num_beams", 1, "translate: beams of the beam search (1: greedy).", lower_bound=1
)
_LENGTH_PENALTY = flags.DEFINE_float(
    "length_penalty", 1.0, "translate: beam ranking sum log p / length ** length_penalty."
)
check_range(_LENGTH_PENALTY, LENGTH_PENALTY_LOW)
_JIT_COMPILE = flags.DEFINE_bool(
    "jit_compile",
    False,
    "translate: decode small requests (batch x beams <= 8) with XLA; faster at batch 1. "
    "TF Serving must then run with --xla_cpu_compilation_enabled=true.",
)
_DECODER_DTYPE = flags.DEFINE_enum(
    "decoder_dtype",
    "float32",
    ["float32", "bfloat16"],
    "translate: dtype of the decoder's weights and matmuls; bfloat16 halves the bytes a "
    "step reads but is faster only on CPUs with bfloat16 matrix instructions.",
)
_WARMUP = flags.DEFINE_bool("warmup", True, "Write TF Serving warm-up requests to assets.extra/.")
_QUANTIZATION = flags.DEFINE_enum(
    "quantization",
    None,
    QUANTIZATIONS,
    "ctranslate2: the weights' stored type; default float32 (a Translator's compute_type "
    "can still quantise float32 weights when it loads them).",
)
_DIRECTIONS = flags.DEFINE_list(
    "directions",
    None,
    "ctranslate2, a model with language embeddings: directions to write (one CTranslate2 "
    "model each, e.g. en-fr,fr-en); default: every pair of the tokenizer's languages.",
)
flags.mark_flag_as_required("export_dir")
# Flags that apply to some formats only -> those formats; passing one with
# another --format is refused when the command line is parsed.
FORMAT_FLAGS = {
    flag.name: ("saved_model",)
    for flag in (
        _VERSION,
        _LENGTH,
        _SIGNATURES,
        _TOP_K,
        _DECODE_LENGTH,
        _BEAMS,
        _LENGTH_PENALTY,
        _JIT_COMPILE,
        _DECODER_DTYPE,
        _WARMUP,
    )
}
FORMAT_FLAGS.update({flag.name: ("ctranslate2",) for flag in (_QUANTIZATION, _DIRECTIONS)})
refuse_flags_outside(_FORMAT, FORMAT_FLAGS)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    if bool(_PRESET.value) == bool(_WORKDIR.value):
        raise app.UsageError("Pass exactly one of --preset or --workdir.")
    preset = _PRESET.value or os.path.join(_WORKDIR.value, "preset")
    if _FORMAT.value == "transformers":
        from xlm_keras.convert import export_transformers

        path = export_transformers(preset, _EXPORT_DIR.value)
    elif _FORMAT.value == "ctranslate2":
        from xlm_keras.serving import export_ctranslate2

        path = export_ctranslate2(
            preset,
            _EXPORT_DIR.value,
            quantization=_QUANTIZATION.value,
            directions=_DIRECTIONS.value,
        )
    else:
        path = _export_saved_model(preset)
    print(f"Wrote {path}")


def _export_saved_model(preset):
    from xlm_keras.serving import export

    return export(
        preset,
        _EXPORT_DIR.value,
        version=_VERSION.value,
        max_sequence_length=_LENGTH.value,
        signatures=_SIGNATURES.value,
        top_k=_TOP_K.value,
        warmup=_WARMUP.value,
        max_decode_length=_DECODE_LENGTH.value,
        num_beams=_BEAMS.value,
        length_penalty=_LENGTH_PENALTY.value,
        jit_compile=_JIT_COMPILE.value,
        decoder_dtype=_DECODER_DTYPE.value,
    )


def run():
    """Console-script entry point."""
    run_program(main, "xlm-export")


if __name__ == "__main__":
    run()
