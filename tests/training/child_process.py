"""What the strategy tests run in a fresh Python process.

Logical CPU devices must be configured before TensorFlow initialises (at
its first op or device listing; imports are fine), and
`MultiWorkerMirroredStrategy` must be created before any op runs, so
`test_strategies.py` and `test_multi_worker.py` start this module with
`sys.executable -m tests.training.child_process` instead of running
TensorFlow in the pytest process. Commands:

  --logical_cpus=2 step_parity
      One `TrainStep` on a fixed MLM batch under several strategies and
      micro-batch splits; prints one JSON line (see `step_parity`).
  [--logical_cpus=N] pretrain --strategy=S --workdir=DIR --out=DIR --config=JSON
      `pretrain.run` with `base_config()` updated by the flattened JSON
      overrides; writes DIR/weights.npz (`model.get_weights()`, in order) and
      DIR/result.json (replicas, and the files and line shard of every input
      pipeline built, see `record_plans`).
  [--logical_cpus=N] finetune --strategy=S --workdir=DIR --out=DIR --config=JSON
      `finetune.run` with `base_finetune_config()` updated likewise; writes
      DIR/result.json (replicas and the zero-shot report).
  --logical_cpus=2 bt_parity --tokenizer=DIR
      One online back-translation `TrainStep` (the `bt` objective's batch
      transform inside the step) on one device and on 2 replicas; prints one
      JSON line (see `bt_parity`).
  [--logical_cpus=N] resume_parity --strategy=S --workdir=DIR
      `trainer.train` runs stopped by SIGTERM and resumed, against an
      uninterrupted run; prints one JSON line (see `resume_parity`).
"""

import argparse
import collections
import glob
import json
import logging
import os
import signal
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import logging as absl_logging  # noqa: E402

from tests.helpers import tiny_seq2seq  # noqa: E402
from xlm_keras.data import line_datasets  # noqa: E402
from xlm_keras.finetuning import config as finetune_config  # noqa: E402
from xlm_keras.finetuning import run as finetune_lib  # noqa: E402
from xlm_keras.models import XLMBackbone  # noqa: E402
from xlm_keras.models import XLMMaskedLM  # noqa: E402
from xlm_keras.models import XLMSeq2SeqLMPreprocessor  # noqa: E402
from xlm_keras.models import XLMTokenizer  # noqa: E402
from xlm_keras.models import presets  # noqa: E402
from xlm_keras.pretraining import config as config_lib  # noqa: E402
from xlm_keras.pretraining import run as pretrain_lib  # noqa: E402
from xlm_keras.training import trainer  # noqa: E402
from xlm_keras.training.preemption import Preempted  # noqa: E402
from xlm_keras.training.strategy import create_strategy  # noqa: E402
from xlm_keras.training.train_step import TrainStep  # noqa: E402
from xlm_keras.training.training_run import TrainingRun  # noqa: E402
from xlm_keras.translation.back_translation import back_translation_transform  # noqa: E402

BATCH_SIZE = 8  # Global batch of the step-parity check.
SEQUENCE_LENGTH = 16
TARGETS = 4
NUM_LANGUAGES = 4  # xlm_tiny's language embeddings.
LEARNING_RATE = 1.0


def command(*args):
    """The argv that runs this module with `args` in a fresh interpreter
    (from the repository root, like pytest)."""
    return [sys.executable, "-m", "tests.training.child_process", *args]


def tiny_config(tokenizer_dir, languages, **overrides):
    """Flattened `base_config()` overrides for `pretrain`: a tiny MLM+TLM
    run of 10 steps, checkpointed at the end."""
    return {
        "data.tokenizer": tokenizer_dir,
        "data.languages": ",".join(languages),
        "data.sequence_length": 32,
        "data.batch_size": 8,
        "objectives.tlm.weight": 1.0,
        "train.num_steps": 10,
        "train.steps_per_execution": 5,
        "train.checkpoint_every": 10,
        "optimizer.warmup_steps": 5,
        **overrides,
    }


def configure_logical_cpus(count):
    """Split the physical CPU into `count` logical devices (before TF starts)."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    )


def tiny_mlm(**kwargs):
    """xlm_tiny's `XLMMaskedLM` without dropout, uncompiled; `kwargs` go to
    the task (e.g. `lm_head`)."""
    config = dict(presets.backbone_config("xlm_tiny", load_weights=False), dropout=0.0)
    return XLMMaskedLM(XLMBackbone(**config), compile=False, **kwargs)


def tiny_mlm_train_step(make_optimizer, initial=None, micro_batch=BATCH_SIZE, **options):
    """A `TrainStep` (`options`: its keyword arguments) of `tiny_mlm()` after
    `keras.utils.set_random_seed(0)`, with `initial` weights when given and
    the optimizer `make_optimizer()`, both built under a one-CPU strategy;
    and an endless iterator of `mlm_batch()` in `micro_batch` rows.

    Returns: (step, model, iterator).
    """
    keras.utils.set_random_seed(0)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        model = tiny_mlm()
        if initial is not None:
            model.set_weights(initial)
        step = TrainStep(strategy, model, make_optimizer(), num_languages=NUM_LANGUAGES, **options)
    dataset = tf.data.Dataset.from_tensor_slices(mlm_batch()).batch(micro_batch)
    return step, model, iter(strategy.experimental_distribute_dataset(dataset.repeat()))


def mlm_batch():
    """A fixed MLM batch in the trainer's format (see `train_step`), global
    size `BATCH_SIZE`. Lengths and target counts differ per example (and per
    half of the batch), so a mean of per-replica or per-micro-batch means
    would differ from the loss weighted by targets."""
    rng = np.random.default_rng(0)
    lengths = np.array([16, 12, 9, 16, 5, 14, 16, 7])
    targets = np.array([4, 1, 3, 4, 1, 2, 4, 2])
    padding_mask = (np.arange(SEQUENCE_LENGTH) < lengths[:, None]).astype("int32")
    language = rng.integers(0, NUM_LANGUAGES, BATCH_SIZE).astype("int32")
    mask_positions = np.sort(
        [rng.choice(length, TARGETS, replace=False) for length in lengths], axis=1
    )
    return {
        "x": {
            "token_ids": (
                rng.integers(5, 1000, (BATCH_SIZE, SEQUENCE_LENGTH)) * padding_mask
            ).astype("int32"),
            "padding_mask": padding_mask,
            "language_ids": np.repeat(language[:, None], SEQUENCE_LENGTH, axis=1),
            "mask_positions": mask_positions.astype("int32"),
        },
        "labels": rng.integers(5, 1000, (BATCH_SIZE, TARGETS)).astype("int32"),
        "sample_weight": (np.arange(TARGETS) < targets[:, None]).astype("float32"),
        "language": language,
    }


def step_parity():
    """One optimizer step from the same weights on the same global batch.

    Plain SGD (learning rate 1) without clipping, so the weight update is the
    gradient itself: Adam's first step (about lr * sign(g)) and norm clipping
    would hide a wrongly scaled gradient. Dropout is 0.

    Returns: dict with `loss` and `weights` (max abs difference to the
    one-device step) for `mirrored` (2 replicas x 4), `accumulated` (one
    device, 2 micro-batches x 4) and `mirrored_accumulated` (2 replicas x
    2 micro-batches x 2), the one-device `loss`, `update` (max abs weight
    change of the one-device step) and `reference` (loss and weights of a
    plain GradientTape step on the target-weighted mean loss, no strategy).
    """
    keras.utils.set_random_seed(0)
    batch = mlm_batch()

    def build_task():
        return tiny_mlm(lm_head="xlm")

    reference_model = build_task()
    initial = reference_model.get_weights()
    with tf.GradientTape() as tape:
        logits = reference_model(batch["x"], training=True)
        losses = keras.losses.sparse_categorical_crossentropy(
            batch["labels"], logits, from_logits=True
        )
        mean_loss = tf.reduce_sum(losses * batch["sample_weight"]) / batch["sample_weight"].sum()
    gradients = tape.gradient(mean_loss, reference_model.trainable_variables)
    reference_loss = float(mean_loss)
    reference_weights = [
        w - LEARNING_RATE * tf.convert_to_tensor(g).numpy() for w, g in zip(initial, gradients)
    ]

    def one_step(strategy, accumulation_steps):
        return sgd_step(
            strategy, build_task, initial, batch, BATCH_SIZE, NUM_LANGUAGES, accumulation_steps
        )

    one_device = tf.distribute.OneDeviceStrategy("/cpu:0")
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    loss, weights = one_step(one_device, 1)
    result = {
        "loss": loss,
        "update": max_diff(weights, initial),
        "reference": {"loss": reference_loss, "weights": max_diff(reference_weights, weights)},
        "replicas": mirrored.num_replicas_in_sync,
    }
    for name, strategy, accumulation_steps in (
        ("mirrored", mirrored, 1),
        ("accumulated", one_device, 2),
        ("mirrored_accumulated", mirrored, 2),
    ):
        other_loss, other_weights = one_step(strategy, accumulation_steps)
        result[name] = {"loss": other_loss, "weights": max_diff(other_weights, weights)}
    return result


def sgd_step(
    strategy,
    build_task,
    initial,
    batch,
    global_batch,
    num_languages,
    accumulation_steps=1,
    batch_transforms_fn=None,
    objective=None,
):
    """One `TrainStep` (SGD at `LEARNING_RATE`, no clip) of `build_task()`
    from the weights `initial` on the global `batch` (dict of arrays,
    `global_batch` rows) split over the replicas and `accumulation_steps`
    micro-batches; `batch_transforms_fn(model)` gives the step's batch
    transforms, `objective` picks one. Returns (loss, weights after)."""
    with strategy.scope():
        model = build_task()
        model.set_weights(initial)
        step = TrainStep(
            strategy,
            model,
            keras.optimizers.SGD(LEARNING_RATE),
            num_languages=num_languages,
            clip_norm=0.0,
            accumulation_steps=accumulation_steps,
            batch_transforms=batch_transforms_fn(model) if batch_transforms_fn else None,
        )
    micro_batch = global_batch // accumulation_steps

    def dataset_fn(input_context):
        per_replica = input_context.get_per_replica_batch_size(micro_batch)
        return (
            tf.data.Dataset.from_tensor_slices(batch)
            .shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
            .batch(per_replica)
        )

    iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))
    totals = step.run(iterator, tf.constant(1), objective)
    loss = float(tf.reduce_sum(totals["loss_sum"]) / tf.reduce_sum(totals["targets"]))
    return loss, model.get_weights()


def max_diff(a, b):
    """Max abs difference between two lists of arrays."""
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


def record_plans():
    """Record which files, and which line shard, each input pipeline the
    trainer builds is given.

    Wraps `line_datasets.worker_files` (which `sentence_batches` and
    `pair_batches` call through the module) with the trainer's real
    `InputContext`.

    Returns: list of `{"paths": [path or [source, target], ...],
    "line_shard": [index, count] or None}`, one per pipeline built, filled
    while training runs.
    """
    plans = []
    plan = line_datasets.worker_files

    def plan_and_record(paths, input_context):
        mine, line_shard = plan(paths, input_context)
        plans.append(
            {
                "paths": [p if isinstance(p, str) else list(p) for p in mine],
                "line_shard": list(line_shard) if line_shard else None,
            }
        )
        return mine, line_shard

    line_datasets.worker_files = plan_and_record
    return plans


def pretrain(strategy_name, workdir, out, overrides):
    """`pretrain.run` on the overridden base config; see the module docstring."""
    plans = record_plans()
    config = config_lib.base_config()
    config.update_from_flattened_dict(overrides)
    config_lib.validate(config, strategy_name)
    model = pretrain_lib.run(config, workdir, strategy_name)
    os.makedirs(out, exist_ok=True)
    np.savez(os.path.join(out, "weights.npz"), *model.get_weights())
    result = {"replicas": model.distribute_strategy.num_replicas_in_sync, "plans": plans}
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(result, f, ensure_ascii=False)


def finetune(strategy_name, workdir, out, overrides):
    """`finetune.run` on the overridden fine-tuning config."""
    strategies = []
    create = finetune_lib.create_strategy

    def create_and_record(*args):
        strategies.append(create(*args))
        return strategies[-1]

    finetune_lib.create_strategy = create_and_record
    config = finetune_config.base_finetune_config()
    config.update_from_flattened_dict(overrides)
    finetune_config.validate_finetune(config, strategy_name)
    report = finetune_lib.run(config, workdir, strategy_name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump({"replicas": strategies[0].num_replicas_in_sync, "report": report}, f)


def bt_parity(tokenizer_dir):
    """One SGD step (learning rate 1, no clip, dropout 0) of the `bt`
    objective: monolingual English rows are translated into French inside
    the step, then trained on. Returns {"loss", "update", "replicas",
    "mirrored": {"loss", "weights"}}: the one-device loss and weight change,
    and the 2-replica step's loss and max abs weight difference to it."""
    keras.utils.set_random_seed(0)
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer, encoder_sequence_length=12, decoder_sequence_length=10, use_language_ids=True
    )
    sentences = ["the file is open", "close the window now", "good morning", "a red house"]
    x, labels, weights = preprocessor(
        {"source": sentences, "target": sentences, "source_language": "en", "target_language": "en"}
    )
    batch = {
        "x": x,
        "labels": labels,
        "sample_weight": weights,
        "language": np.zeros([len(sentences)], np.int32),
        "translate_to": np.full([len(sentences)], tokenizer.language_id("fr"), np.int32),
    }

    def build_task():
        vocabulary_size, languages = tokenizer.vocabulary_size(), len(tokenizer.languages)
        return tiny_seq2seq(vocabulary_size, preprocessor, num_layers=1, num_languages=languages)

    initial = build_task().get_weights()

    def one_step(strategy):
        return sgd_step(
            strategy,
            build_task,
            initial,
            batch,
            len(sentences),
            1,
            batch_transforms_fn=lambda model: {"bt": back_translation_transform(model, 10)},
            objective="bt",
        )

    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    loss, weights = one_step(tf.distribute.OneDeviceStrategy("/cpu:0"))
    mirrored_loss, mirrored_weights = one_step(mirrored)
    return {
        "loss": loss,
        "update": max_diff(weights, initial),
        "replicas": mirrored.num_replicas_in_sync,
        "mirrored": {"loss": mirrored_loss, "weights": max_diff(mirrored_weights, weights)},
    }


NUMBERED_BATCHES = 24  # Distinct batches of `resume_parity`'s stream, one per metric.
RESUME_STEPS = 8
PREEMPT_AT = 4


def numbered_batches(python_source):
    """An endless, reshuffled stream of the MLM batches 0..NUMBERED_BATCHES-1
    (2 rows each): batch n's tokens are drawn with seed n and its `language`
    is n, so the trainer's per-language metrics name the batches each step
    trained on. `python_source`: start from a Python generator, which a
    checkpoint cannot hold (the same batches, in the same order)."""
    if python_source:
        numbers = tf.data.Dataset.from_generator(
            lambda: iter(range(NUMBERED_BATCHES)), output_signature=tf.TensorSpec((), tf.int64)
        )
    else:
        numbers = tf.data.Dataset.range(NUMBERED_BATCHES)

    def batch(n):
        n = tf.cast(n, tf.int32)
        token_ids = tf.random.stateless_uniform(
            [2, SEQUENCE_LENGTH], seed=[n, 0], minval=5, maxval=1000, dtype=tf.int32
        )
        return {
            "x": {
                "token_ids": token_ids,
                "padding_mask": tf.ones([2, SEQUENCE_LENGTH], tf.int32),
                "language_ids": tf.zeros([2, SEQUENCE_LENGTH], tf.int32),
                "mask_positions": tf.tile(tf.range(TARGETS)[tf.newaxis] * 3, [2, 1]),
            },
            "labels": token_ids[:, :TARGETS],
            "sample_weight": tf.ones([2, TARGETS]),
            "language": tf.fill([2], n),
        }

    return numbers.shuffle(NUMBERED_BATCHES, seed=1).repeat().map(batch)


def batches_per_step(tensorboard_dir):
    """step -> sorted numbers of the batches trained on at that step (from
    the `mlm/accuracy/b<n>` scalars of every event file of a run)."""
    steps = collections.defaultdict(set)
    for path in glob.glob(os.path.join(tensorboard_dir, "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag.startswith("mlm/accuracy/b"):
                    steps[event.step].add(int(value.tag.removeprefix("mlm/accuracy/b")))
    return {step: sorted(numbers) for step, numbers in sorted(steps.items())}


def train_numbered(strategy, workdir, python_source=False, preempt_at=None):
    """`trainer.train` of `tiny_mlm()` on `numbered_batches` for
    RESUME_STEPS steps of 2 micro-batches, one step per chunk; with
    `preempt_at`, the process sends itself SIGTERM after that step. Returns
    the model's weights, or `Preempted`'s step."""
    keras.utils.set_random_seed(0)
    config = config_lib.base_config()
    config.train.num_steps = RESUME_STEPS
    config.train.steps_per_execution = 1
    config.train.checkpoint_every = 100
    config.optimizer.accumulation_steps = 2
    config.optimizer.warmup_steps = 2
    run = TrainingRun(
        build_model=tiny_mlm,
        dataset_fns={"mlm": lambda context, skip: numbered_batches(python_source).skip(skip)},
        language_names=[f"b{n}" for n in range(NUMBERED_BATCHES)],
        save=lambda model, directory: model.save_to_preset(directory),
    )
    progress_line = trainer.ProgressLine

    class PreemptedProgress(progress_line):
        def update(self, step, metrics):
            super().update(step, metrics)
            if step == preempt_at:
                signal.raise_signal(signal.SIGTERM)

    trainer.ProgressLine = PreemptedProgress
    try:
        return trainer.train(run, config=config, workdir=workdir, strategy=strategy).get_weights()
    except Preempted as preempted:
        return preempted.step
    finally:
        trainer.ProgressLine = progress_line


def resume_parity(strategy_name, workdir):
    """Runs of RESUME_STEPS steps: uninterrupted; SIGTERM after step
    PREEMPT_AT, then resumed (the input position in the checkpoint); and the
    same with a Python-generator source (resumed by replaying batches).

    Returns: dict with `replicas`, the uninterrupted run's `batches` (step
    -> batch numbers), and for `resumed` and `replayed`: the step
    `Preempted` reported, `batches` of both processes' steps, `weights`
    (max abs difference of the final weights to the uninterrupted run's)
    and `log` (the trainer's lines about the input on resume).
    """
    strategy = create_strategy(strategy_name)
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logging.getLogger("absl").addHandler(handler)
    absl_logging.set_verbosity(absl_logging.INFO)
    whole_dir = os.path.join(workdir, "whole")
    weights = train_numbered(strategy, whole_dir)
    result = {
        "replicas": strategy.num_replicas_in_sync,
        "batches": batches_per_step(os.path.join(whole_dir, "tensorboard")),
    }
    for name, python_source in (("resumed", False), ("replayed", True)):
        run_dir = os.path.join(workdir, name)
        stopped = train_numbered(strategy, run_dir, python_source, preempt_at=PREEMPT_AT)
        del records[:]
        resumed_weights = train_numbered(strategy, run_dir, python_source)
        result[name] = {
            "stopped": stopped,
            "batches": batches_per_step(os.path.join(run_dir, "tensorboard")),
            "weights": max_diff(resumed_weights, weights),
            "log": [line for line in records if "input" in line],
        }
    return result


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logical_cpus", type=int, default=1)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("step_parity")
    commands.add_parser("bt_parity").add_argument("--tokenizer", required=True)
    resume = commands.add_parser("resume_parity")
    resume.add_argument("--strategy", required=True)
    resume.add_argument("--workdir", required=True)
    for name in ("pretrain", "finetune"):
        run = commands.add_parser(name)
        run.add_argument("--strategy", required=True)
        run.add_argument("--workdir", required=True)
        run.add_argument("--out", required=True)
        run.add_argument("--config", default="{}", help="JSON {flattened.key: value}.")
    args = parser.parse_args(argv)
    if args.logical_cpus > 1:
        configure_logical_cpus(args.logical_cpus)
    if args.command == "step_parity":
        print(json.dumps(step_parity()))
    elif args.command == "bt_parity":
        print(json.dumps(bt_parity(args.tokenizer)))
    elif args.command == "resume_parity":
        print(json.dumps(resume_parity(args.strategy, args.workdir)))
    else:
        run_command = pretrain if args.command == "pretrain" else finetune
        run_command(args.strategy, args.workdir, args.out, json.loads(args.config))


if __name__ == "__main__":
    main(sys.argv[1:])
