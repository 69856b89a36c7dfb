"""`xlm-eval`: per-language MLM/TLM accuracy and perplexity (deterministic
masking) and cross-lingual retrieval accuracy of a trained preset.

  xlm-eval --workdir=/tmp/run                 # the run's final preset
  xlm-eval --preset=DIR --corpus_dir=~/.cache/xlm_keras/corpus --output_json=eval.json
"""

import json
import os

from absl import app
from absl import flags

_PRESET = flags.DEFINE_string("preset", None, "Preset directory to evaluate.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Training workdir: evaluates workdir/preset.")
_CORPUS = flags.DEFINE_string("corpus_dir", "", "Corpus directory; '' = bundled sample.")
_SPLIT = flags.DEFINE_string("split", "test", "Corpus split to evaluate on.")
_LANGUAGES = flags.DEFINE_list("languages", [], "Languages; default: the tokenizer's.")
_LENGTH = flags.DEFINE_integer("sequence_length", 64, "Tokens per MLM/TLM example.")
_OUTPUT = flags.DEFINE_string("output_json", "", "Also write the report here.")


def format_report(report):
    """A table: one row per language / language pair."""
    lines = [f"{'language':<10}{'MLM acc':>9}{'MLM ppl':>10}{'TLM acc':>9}"]
    for language, mlm in sorted(report.get("mlm", {}).items()):
        tlm = report.get("tlm", {}).get(language, {}).get("accuracy")
        lines.append(f"{language:<10}{mlm['accuracy']:>9.3f}{mlm['perplexity']:>10.1f}"
                     + (f"{tlm:>9.3f}" if tlm is not None else f"{'-':>9}"))
    lines.append(f"\n{'pair':<10}{'x->y':>8}{'y->x':>8}{'chance':>8}{'pairs':>7}")
    retrieval = report["retrieval"]
    for pair, r in sorted(retrieval.items()):
        lines.append(f"{pair:<10}{r['forward']:>8.3f}{r['backward']:>8.3f}"
                     f"{r['chance']:>8.3f}{r['pairs']:>7}")
    if retrieval:
        mean = sum(r["forward"] + r["backward"] for r in retrieval.values()) / (2 * len(retrieval))
        lines.append(f"{'mean':<10}{mean:>8.3f}")
    return "\n".join(lines)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    if bool(_PRESET.value) == bool(_WORKDIR.value):
        raise app.UsageError("Pass exactly one of --preset or --workdir.")
    preset = _PRESET.value or os.path.join(_WORKDIR.value, "preset")
    from xlm_keras.data import corpus
    from xlm_keras.models import load_model
    from xlm_keras.text import XLMTokenizer
    from xlm_keras.training.evaluation import evaluate

    task = load_model(preset)
    tokenizer = XLMTokenizer.from_preset(preset)
    report = evaluate(task, tokenizer, os.path.expanduser(_CORPUS.value) or corpus.SAMPLE_CORPUS_DIR,
                      _LANGUAGES.value or tokenizer.languages, _LENGTH.value, split=_SPLIT.value)
    print(format_report(report))
    if _OUTPUT.value:
        with open(_OUTPUT.value, "w") as f:
            json.dump(report, f, indent=2)


def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
