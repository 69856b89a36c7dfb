"""`xlm-tokenizer`: train a multilingual SentencePiece tokenizer preset.

  xlm-tokenizer --input=en:en.txt --input=sw:sw.1.txt,sw.2.txt.gz \\
      --output_dir=presets/tokenizer --vocabulary_size=32000
  xlm-tokenizer --input_dir=corpus/ --output_dir=presets/tokenizer \\
      --vocabulary_size=8000 --model_type=bpe --sample_alpha=0.5
"""

import glob
import os
import re

from absl import app
from absl import flags

from xlm_keras.cli.errors import check_range
from xlm_keras.cli.errors import run_program

_INPUT = flags.DEFINE_multi_string(
    "input",
    [],
    "`lang:path[,path...]`, repeatable: a language's text files "
    "(one sentence per line, .gz and .xz allowed).",
)
_INPUT_DIR = flags.DEFINE_string(
    "input_dir",
    None,
    "Directory of `<lang>.txt` / `<lang>.<anything>.txt` files (.gz, .xz allowed); instead of "
    "--input.",
)
_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Tokenizer preset directory to write.")
_VOCABULARY_SIZE = flags.DEFINE_integer(
    "vocabulary_size", None, "Pieces in the model, specials included.", lower_bound=6
)
_MODEL_TYPE = flags.DEFINE_enum(
    "model_type", "unigram", ["unigram", "bpe"], "SentencePiece algorithm."
)
_CHARACTER_COVERAGE = flags.DEFINE_float(
    "character_coverage", 0.9995, "Share of characters covered by pieces, in [0.98, 1]."
)
_BYTE_FALLBACK = flags.DEFINE_bool(
    "byte_fallback", False, "Spell unknown characters as UTF-8 bytes."
)
_SAMPLE_ALPHA = flags.DEFINE_float(
    "sample_alpha",
    0.3,
    "Language sampling exponent: q ∝ p^alpha; 1 keeps corpus proportions, 0 is uniform.",
)
_MAX_SENTENCES = flags.DEFINE_integer(
    "max_sentences", 1_000_000, "Most sentences in the training sample.", lower_bound=1
)
_SEED = flags.DEFINE_integer("seed", 0, "Sampling and SentencePiece seed.", lower_bound=0)
flags.mark_flags_as_required(["output_dir", "vocabulary_size"])
check_range(_CHARACTER_COVERAGE, 0.98, 1)  # SentencePiece's range.
check_range(_SAMPLE_ALPHA, 0, 1)

_FILE_NAME = re.compile(r"(?P<lang>[^.]+)(?:\.[^.]+)*\.txt(?:\.gz|\.xz)?")


def corpora_from_flags(inputs, input_dir):
    """dict language -> [path] from `--input` values or `--input_dir`."""
    if bool(inputs) == bool(input_dir):
        raise app.UsageError("Pass either --input=lang:path[,path...] or --input_dir, not both.")
    corpora = {}
    if input_dir:
        for path in sorted(glob.glob(os.path.join(input_dir, "*"))):
            match = _FILE_NAME.fullmatch(os.path.basename(path))
            if match:
                corpora.setdefault(match["lang"], []).append(path)
        if not corpora:
            raise app.UsageError(
                f"--input_dir={input_dir} has no <lang>.txt or <lang>.<name>.txt files."
            )
        return corpora
    for value in inputs:
        code, _, paths = value.partition(":")
        paths = [path for path in paths.split(",") if path]
        if not code or not paths:
            raise app.UsageError(f"--input={value!r} is not lang:path[,path...].")
        corpora.setdefault(code, []).extend(paths)
    missing = [path for paths in corpora.values() for path in paths if not os.path.isfile(path)]
    if missing:
        raise app.UsageError(f"--input files not found: {missing}.")
    return corpora


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    corpora = corpora_from_flags(_INPUT.value, _INPUT_DIR.value)
    from xlm_keras.models import train_tokenizer

    tokenizer = train_tokenizer(
        corpora,
        _OUTPUT_DIR.value,
        _VOCABULARY_SIZE.value,
        model_type=_MODEL_TYPE.value,
        character_coverage=_CHARACTER_COVERAGE.value,
        byte_fallback=_BYTE_FALLBACK.value,
        sample_alpha=_SAMPLE_ALPHA.value,
        max_sentences=_MAX_SENTENCES.value,
        seed=_SEED.value,
    )
    print(
        f"Wrote a {tokenizer.vocabulary_size()}-piece tokenizer for "
        f"{', '.join(tokenizer.languages)} to {_OUTPUT_DIR.value}"
    )


def run():
    """Console-script entry point."""
    run_program(main, "xlm-tokenizer")


if __name__ == "__main__":
    run()
