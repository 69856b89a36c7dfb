"""`xlm-eval`: per-language MLM/TLM accuracy and perplexity (deterministic
masking) and cross-lingual retrieval accuracy of a pretrained preset; for a
fine-tuned preset (classifier, tagger, span QA), the zero-shot report:
accuracy / entity F1 / EM+F1 per language and their average; for a
translation preset (`XLMSeq2SeqLM`), BLEU and chrF per direction (sacrebleu,
detokenised text), greedy and beam search.

  xlm-eval --workdir=/tmp/run                 # the run's final preset
  xlm-eval --preset=DIR --corpus_dir=~/.cache/xlm_keras/corpus --output_json=eval.json
  xlm-eval --workdir=/tmp/ft --task_data=tfds:xnli --train_language=en
  xlm-eval --workdir=/tmp/mt --directions=en-fr,fr-en --num_beams=4
"""

import json
import os

from absl import app
from absl import flags

from xlm_keras.cli.errors import check_range
from xlm_keras.cli.errors import run_program
from xlm_keras.training.run_config import corpus_to_score
from xlm_keras.translation.config import LENGTH_PENALTY_LOW

_PRESET = flags.DEFINE_string("preset", None, "Preset directory to evaluate.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Training workdir: evaluates workdir/preset.")
_CORPUS = flags.DEFINE_string(
    "corpus_dir", "", "Corpus directory; '' = the run's own (--workdir), else the bundled sample."
)
_SPLIT = flags.DEFINE_string("split", "test", "Corpus split to evaluate on.")
_LANGUAGES = flags.DEFINE_list(
    "languages", [], "Languages; default: the tokenizer's (XLM-R: the corpus's)."
)
_LENGTH = flags.DEFINE_integer("sequence_length", 64, "Tokens per MLM/TLM example.", lower_bound=8)
_OUTPUT = flags.DEFINE_string("output_json", "", "Also write the report here.")
_TASK_DATA = flags.DEFINE_string(
    "task_data",
    "",
    "Fine-tuned presets: task data directory or tfds:<name>; '' = bundled help_topic.",
)
_TFDS_DATA_DIR = flags.DEFINE_string("tfds_data_dir", "", "TFDS data dir for tfds:<name>.")
_TRAIN_LANGUAGE = flags.DEFINE_string(
    "train_language",
    "en",
    "Fine-tuned presets: the language trained on (left out of the transfer average).",
)
_TASK_LENGTH = flags.DEFINE_integer(
    "task_sequence_length", 128, "Fine-tuned presets: tokens per example.", lower_bound=8
)
_TENSORBOARD = flags.DEFINE_string(
    "tensorboard_dir",
    "",
    "Fine-tuned and translation presets: also write the table and scalars here.",
)
_DIRECTIONS = flags.DEFINE_string(
    "directions",
    "",
    "Translation presets: source-target directions, e.g. en-fr,fr-en; '' = "
    "both directions of every corpus pair in the tokenizer's languages.",
)
_NUM_BEAMS = flags.DEFINE_integer(
    "num_beams", 4, "Translation presets: beam size (greedy is reported too).", lower_bound=1
)
_TRANSLATIONS_DIR = flags.DEFINE_string(
    "translations_dir",
    "",
    "Translation presets: also write <split>.<direction>.{source,reference,greedy,beamN}.txt "
    "here, one line each (for sacrebleu's --paired-bs).",
)
_LENGTH_PENALTY = flags.DEFINE_float(
    "length_penalty", 1.0, "Translation presets: beam length penalty exponent."
)
check_range(_LENGTH_PENALTY, LENGTH_PENALTY_LOW)


def format_report(report):
    """A table: one row per language / language pair."""
    lines = [f"{'language':<10}{'MLM acc':>9}{'MLM ppl':>10}{'TLM acc':>9}"]
    for language, mlm in sorted(report.get("mlm", {}).items()):
        tlm = report.get("tlm", {}).get(language, {}).get("accuracy")
        lines.append(
            f"{language:<10}{mlm['accuracy']:>9.3f}{mlm['perplexity']:>10.1f}"
            + (f"{tlm:>9.3f}" if tlm is not None else f"{'-':>9}")
        )
    lines.append(f"\n{'pair':<10}{'x->y':>8}{'y->x':>8}{'chance':>8}{'pairs':>7}")
    retrieval = report["retrieval"]
    for pair, r in sorted(retrieval.items()):
        lines.append(
            f"{pair:<10}{r['forward']:>8.3f}{r['backward']:>8.3f}{r['chance']:>8.3f}{r['pairs']:>7}"
        )
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
    from xlm_keras.models import XLMSeq2SeqLM
    from xlm_keras.models import XLMTokenizer
    from xlm_keras.models import load_model
    from xlm_keras.pretraining.evaluation import evaluate

    task = load_model(preset)
    if isinstance(task, XLMSeq2SeqLM):
        _translation(task, preset)
        return
    tokenizer = XLMTokenizer.from_preset(preset)
    from xlm_keras.finetuning.task_pipelines import TASK_CLASSES

    if type(task) in TASK_CLASSES.values():
        _zero_shot(task, tokenizer)
        return
    report = evaluate(
        task,
        tokenizer,
        corpus_to_score(_CORPUS.value, _WORKDIR.value),
        _LANGUAGES.value or tokenizer.languages,
        _LENGTH.value,
        split=_SPLIT.value,
    )
    print(format_report(report))
    if _OUTPUT.value:
        with open(_OUTPUT.value, "w") as f:
            json.dump(report, f, indent=2)


def _zero_shot(task, tokenizer):
    """The zero-shot report of a fine-tuned task on `--task_data`."""
    import tensorflow as tf

    from xlm_keras.finetuning import evaluation as task_evaluation
    from xlm_keras.finetuning.task_data import SAMPLE_TASK_DIR
    from xlm_keras.finetuning.task_data import open_task_data
    from xlm_keras.finetuning.task_pipelines import TASK_CLASSES
    from xlm_keras.finetuning.task_pipelines import TaskSpec
    from xlm_keras.finetuning.task_pipelines import preprocessor_for

    task_type = {cls: name for name, cls in TASK_CLASSES.items()}[type(task)]
    task_data = open_task_data(
        _TASK_DATA.value or SAMPLE_TASK_DIR,
        task_type,
        getattr(task, "label_names", ()),
        _TFDS_DATA_DIR.value or None,
    )
    options = {}
    if task.preprocessor is not None and task_type == "qa":
        options = {
            "doc_stride": task.preprocessor.doc_stride,
            "max_query_length": task.preprocessor.max_query_length,
        }
    spec = TaskSpec(preprocessor_for(task, tokenizer, _TASK_LENGTH.value, **options), 64)
    languages = _LANGUAGES.value or task_evaluation.default_languages(spec, task_data, _SPLIT.value)
    records = {code: task_data.records(_SPLIT.value, code) for code in languages}
    report = task_evaluation.zero_shot_report(
        task, spec, task_data, records, _SPLIT.value, _TRAIN_LANGUAGE.value
    )
    print(task_evaluation.format_report(report))
    writer = tf.summary.create_file_writer(_TENSORBOARD.value) if _TENSORBOARD.value else None
    if _OUTPUT.value or writer:
        task_evaluation.write_report(report, _OUTPUT.value or os.devnull, writer)


def _translation(model, preset):
    """BLEU and chrF per direction of a translation preset on `--split`."""
    import tensorflow as tf

    from xlm_keras.data import corpus
    from xlm_keras.translation import evaluation
    from xlm_keras.translation import pipelines
    from xlm_keras.translation.config import parse_directions

    evaluation.require_tokenizer(model, preset)
    tokenizer = model.preprocessor.tokenizer
    corpus_dir = corpus_to_score(_CORPUS.value, _WORKDIR.value)
    directions = parse_directions(_DIRECTIONS.value)
    if not directions:
        if not model.preprocessor.use_language_ids:
            raise ValueError(
                "This translation model has no language embeddings: name the direction it "
                "was trained on with --directions=<source>-<target>."
            )
        languages = set(_LANGUAGES.value or tokenizer.languages)
        directions = [
            direction
            for pair in sorted(corpus.parallel_files(corpus_dir, _SPLIT.value))
            if set(pair) <= languages
            for direction in (pair, pair[::-1])
        ]
    pairs = {d: pipelines.evaluation_pairs(corpus_dir, _SPLIT.value, d) for d in directions}
    report = evaluation.translation_report(
        model,
        pairs,
        _SPLIT.value,
        model.preprocessor.decoder_sequence_length,
        _NUM_BEAMS.value,
        _LENGTH_PENALTY.value,
        output_dir=_TRANSLATIONS_DIR.value,
    )
    print(evaluation.format_report(report))
    writer = tf.summary.create_file_writer(_TENSORBOARD.value) if _TENSORBOARD.value else None
    if _OUTPUT.value or writer:
        evaluation.write_report(report, _OUTPUT.value or os.devnull, writer)


def run():
    """Console-script entry point."""
    run_program(main, "xlm-eval")


if __name__ == "__main__":
    run()
