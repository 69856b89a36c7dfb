"""Is the input pipeline fast enough? Pipeline tokens/s next to the tiny
model's training tokens/s, per objective, on this machine.

  python tools/bench_input.py                              # mlm and tlm, 64 x 16
  python tools/bench_input.py --objective=tlm --seconds=5 --tokenizer=DIR

The pipeline must be at least 10x faster than the model consumes it
(`MIN_RATIO`). Pipeline tokens/s: real tokens (the sum of
`x["padding_mask"]`) per second of batches drawn from `mlm_dataset` /
`tlm_dataset` after a warm-up, nothing else running. Model tokens/s: the same
count through the project's `TrainStep` (OneDeviceStrategy, AdamW from
`create_optimizer`, the task of `pretrain.build_task`) fed one cached batch
over and over, so it times the model alone. Shapes and every other setting
are the defaults of `xlm_keras/pretraining/config.py` (preset `xlm_tiny`).
Without `--tokenizer`, a tokenizer of `data.vocabulary_size` pieces is
trained on the bundled corpus into a temporary directory.
"""

import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from xlm_keras.data import corpus  # noqa: E402
from xlm_keras.pretraining import run as pretrain  # noqa: E402
from xlm_keras.pretraining.config import base_config  # noqa: E402
from xlm_keras.training.optimizer import optimizer_from_config  # noqa: E402
from xlm_keras.training.tokenizer_setup import load_or_train_tokenizer  # noqa: E402
from xlm_keras.training.train_step import TrainStep  # noqa: E402

MIN_RATIO = 10.0
WARMUP_BATCHES = 20
OBJECTIVES = ("mlm", "tlm")

_OBJECTIVE = flags.DEFINE_list("objective", list(OBJECTIVES), "Objectives to measure: mlm, tlm.")
_SECONDS = flags.DEFINE_float("seconds", 10.0, "Timed seconds per measurement, after warm-up.")
_SEQUENCE_LENGTH = flags.DEFINE_integer("sequence_length", None, "Default: data.sequence_length.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", None, "Default: data.batch_size.")
_TOKENIZER = flags.DEFINE_string("tokenizer", "", "Tokenizer preset dir; default: train one.")
flags.register_validator(
    "objective",
    lambda names: set(names) <= set(OBJECTIVES),
    f"--objective takes a comma list of {OBJECTIVES}.",
)


def experiment_config(sequence_length=None, batch_size=None, tokenizer_dir=""):
    """The training defaults (`base_config()`), with the benchmark's overrides."""
    config = base_config()
    if sequence_length:
        config.data.sequence_length = sequence_length
    if batch_size:
        config.data.batch_size = batch_size
    config.data.tokenizer = tokenizer_dir
    return config


def timed_rate(step, seconds):
    """Calls `step()` (returning a count) until `seconds` have passed, at
    least once; returns count per second."""
    count, start = 0.0, time.perf_counter()
    while True:
        count += step()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def pipeline_tokens_per_second(dataset, seconds, warmup_batches=WARMUP_BATCHES):
    """Real tokens per second drawn from `dataset` after `warmup_batches`."""
    iterator = iter(dataset)
    for _ in range(warmup_batches):
        next(iterator)
    return timed_rate(lambda: float(next(iterator)["x"]["padding_mask"].numpy().sum()), seconds)


def build_train_step(config, tokenizer, num_languages, strategy):
    """The trainer's task, optimizer and `TrainStep`, built as `trainer.train` does."""
    opt = config.optimizer
    with strategy.scope():
        model = pretrain.build_task(config, tokenizer, num_languages)
        optimizer = optimizer_from_config(opt, total_steps=config.train.num_steps)
        return TrainStep(
            strategy,
            model,
            optimizer,
            num_languages=num_languages,
            clip_norm=opt.clip_norm,
            accumulation_steps=opt.accumulation_steps,
            jit_compile=config.train.jit_compile,
        )


def model_tokens_per_second(step_fn, strategy, batch, seconds, steps_per_call):
    """Training tokens per second of `step_fn` fed `batch` again and again.

    One call of `steps_per_call` steps (tracing, first step) is the warm-up.
    """
    cached = tf.data.Dataset.from_tensors(batch).repeat()
    iterator = iter(strategy.distribute_datasets_from_function(lambda context: cached))
    num_steps = tf.constant(steps_per_call)

    def call():
        return float(step_fn.run(iterator, num_steps)["tokens"].numpy())

    call()
    return timed_rate(call, seconds)


def measure(objective, config, tokenizer, languages, seconds):
    """One table row: pipeline and model tokens/s of `objective`."""
    spec = pretrain.pipeline_spec(config, tokenizer)
    dataset = pretrain.PIPELINES[objective](
        spec, corpus.SAMPLE_CORPUS_DIR, languages, config.objectives[objective].alpha
    )
    pipeline_rate = pipeline_tokens_per_second(dataset, seconds)
    batch = next(iter(dataset))
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    step_fn = build_train_step(config, tokenizer, len(languages), strategy)
    model_rate = model_tokens_per_second(
        step_fn, strategy, batch, seconds, config.train.steps_per_execution
    )
    return {
        "objective": objective,
        "pipeline": pipeline_rate,
        "model": model_rate,
        "ratio": pipeline_rate / model_rate,
    }


def run(objectives, config, seconds, workdir):
    """Rows for `objectives`. Seeds first: a seed reset after the tokenizer
    is built frees its SentencePiece resource (tensorflow/text#570)."""
    keras.utils.set_random_seed(config.train.seed)
    languages = pretrain.corpus_languages(config, corpus.SAMPLE_CORPUS_DIR)
    tokenizer = load_or_train_tokenizer(
        config, corpus.SAMPLE_CORPUS_DIR, languages, workdir, chief=True
    )
    return [measure(name, config, tokenizer, languages, seconds) for name in objectives]


def format_table(rows, config):
    """A Markdown table of rows from `measure`, with the shapes in a title."""
    lines = [
        f"model {config.model.init_from}, sequence_length {config.data.sequence_length}, "
        f"batch_size {config.data.batch_size}; required ratio >= {MIN_RATIO:g}x",
        "| objective | pipeline tokens/s | model tokens/s | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        verdict = "" if row["ratio"] >= MIN_RATIO else f" (below {MIN_RATIO:g}x)"
        lines.append(
            f"| {row['objective']} | {row['pipeline']:,.0f} | {row['model']:,.0f} | "
            f"{row['ratio']:.1f}x{verdict} |"
        )
    return "\n".join(lines)


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)  # The readers log every file they finish.
    config = experiment_config(_SEQUENCE_LENGTH.value, _BATCH_SIZE.value, _TOKENIZER.value)
    with tempfile.TemporaryDirectory() as workdir:
        rows = run(_OBJECTIVE.value, config, _SECONDS.value, workdir)
    print(format_table(rows, config))


if __name__ == "__main__":
    app.run(main)
