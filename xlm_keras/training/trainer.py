"""The training loop of pretraining and fine-tuning: objectives mixed by
weight, checkpoints and resume, TensorBoard scalars, a progress bar, the
best model by an evaluator, and a preset at the end."""

import math
import os
import shutil
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from xlm_keras.models import load_model
from xlm_keras.native_stderr import start_up_lines_held
from xlm_keras.paths import replace_directory
from xlm_keras.training.checkpoints import CheckpointSaver
from xlm_keras.training.checkpoints import is_chief
from xlm_keras.training.inputs import open_inputs
from xlm_keras.training.inputs import replayed_batches
from xlm_keras.training.loss_schedule import coefficient
from xlm_keras.training.loss_schedule import parse_schedule
from xlm_keras.training.optimizer import optimizer_from_config
from xlm_keras.training.preemption import Preempted
from xlm_keras.training.preemption import SigtermFlag
from xlm_keras.training.progress import ProgressLine
from xlm_keras.training.run_config import save_run_config
from xlm_keras.training.train_step import TrainStep

PRESET_DIR = "preset"  # The run's final model: the one to export.
# The best model so far by the evaluator, before `finalize`; kept, so that a
# resumed run that does not beat it still has it to finish from.
BEST_DIR = "best"


def objective_schedule(weights, num_chunks, loss_schedules=None, chunk_steps=1):
    """Which objective each chunk of `steps_per_execution` steps trains.

    Smooth weighted round robin: with `{"mlm": 1, "tlm": 1}` the chunks
    alternate MLM, TLM, MLM, ... (XLM's alternation); with weights 2:1 the
    pattern is MLM, TLM, MLM, MLM, TLM, MLM, ... An objective whose loss
    coefficient (`loss_schedules`: name -> parsed `loss_schedule`) is 0 at
    a chunk's first step sits that chunk out, as XLM skips a step whose
    lambda is 0.

    Returns: list of objective names, one per chunk.
    Raises: ValueError when no objective trains at some chunk.
    """
    loss_schedules = loss_schedules or {}
    names = sorted(name for name, weight in weights.items() if weight > 0)
    credit = {name: 0.0 for name in names}
    schedule = []
    for index in range(num_chunks):
        step = index * chunk_steps
        active = [
            name
            for name in names
            if name not in loss_schedules or coefficient(loss_schedules[name], step) > 0
        ]
        if not active:
            raise ValueError(
                f"every objective's lambda_schedule is 0 at step {step}: keep one above 0"
            )
        total = sum(weights[name] for name in active)
        for name in active:
            credit[name] += weights[name]
        chosen = max(active, key=lambda name: credit[name])
        credit[chosen] -= total
        schedule.append(chosen)
    return schedule


def loss_schedules(config, names):
    """name -> parsed `objectives.<name>.lambda_schedule`, for the objectives
    of `names` that set one (the others keep a loss coefficient of 1)."""
    objectives = config.get("objectives", {})
    return {
        name: parse_schedule(objectives[name].lambda_schedule)
        for name in names
        if name in objectives and objectives[name].get("lambda_schedule", "").strip()
    }


def train(run, *, config, workdir, strategy):
    """Train `run` until `config.train.num_steps`, resuming from the last
    checkpoint; then write `workdir/preset`, once, in its final form.

    Args:
        run: the run's parts (`TrainingRun`).
        config: the experiment ConfigDict (`train` and `optimizer` sections).
        workdir: directory for checkpoints, TensorBoard logs and the preset.
        strategy: `tf.distribute.Strategy`.

    With `run.evaluate`, the best model so far is kept in `workdir/best`
    and training stops early after `config.train.patience` evaluations
    without improvement (0: never); the final preset is that best model.
    `run.finalize` (if any) then changes the chosen model before the preset
    is written, so `workdir/preset` never holds an unfinished model.

    Checkpoints hold the input iterators' positions where they can
    (`inputs`); otherwise a resume replays the batches consumed. On
    SIGTERM the run checkpoints at the end of the current chunk of steps
    and raises `Preempted`.

    Returns: the model that `workdir/preset` holds (chief), else the last one.
    Raises: `Preempted` after a SIGTERM, once the checkpoint is written.
    """
    train_config, opt_config = config.train, config.optimizer
    total_steps = train_config.num_steps
    chunk = train_config.steps_per_execution
    with strategy.scope():
        model = run.build_model()
        optimizer = optimizer_from_config(
            opt_config,
            total_steps=total_steps,
            learning_rate_multipliers=(
                run.learning_rate_multipliers(model) if run.learning_rate_multipliers else None
            ),
        )
        if train_config.mixed_precision == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        step_fn = TrainStep(
            strategy,
            model,
            optimizer,
            num_languages=len(run.language_names),
            clip_norm=opt_config.clip_norm,
            accumulation_steps=opt_config.accumulation_steps,
            jit_compile=train_config.jit_compile,
            label_smoothing=run.label_smoothing,
            batch_transforms=run.batch_transforms(model) if run.batch_transforms else None,
        )
        # Dropout's random state is not part of a Keras model's checkpoint
        # graph; save it too, so a resumed run draws the same masks.
        rng_states = [
            v.value for v in model.non_trainable_variables if "seed_generator_state" in v.path
        ]
        best = BestModel(run, train_config, workdir)
    dataset_fns = run.dataset_fns
    with start_up_lines_held():  # The first input pipeline's C++ notices.
        inputs = open_inputs(strategy, dataset_fns)
    if inputs.state is None:
        logging.info("Checkpoints hold no input position: %s.", inputs.unsaved_reason)
    with strategy.scope():
        saver = CheckpointSaver(
            strategy,
            workdir,
            train_config.keep_checkpoints,
            input_state=inputs.state,
            model=model,
            optimizer=optimizer,
            rng_states=rng_states,
            best=best.state,
        )
    restored = saver.restore_latest()
    step = int(optimizer.iterations.numpy())
    if restored:
        logging.info("Resumed from %s at step %d", restored, step)
    if step % chunk:
        raise ValueError(
            f"Checkpoint step {step} is not a multiple of train.steps_per_execution="
            f"{chunk}; resume with the steps_per_execution the run started with."
        )

    weights = (
        {name: config.objectives[name].weight for name in dataset_fns}
        if len(dataset_fns) > 1
        else {name: 1.0 for name in dataset_fns}
    )
    lambdas = loss_schedules(config, dataset_fns)
    schedule = objective_schedule(weights, math.ceil(total_steps / chunk), lambdas, chunk)
    if step and saver.restored_input:
        logging.info("Resumed the input position from the checkpoint")
    elif step:
        done = {name: schedule[: step // chunk].count(name) * chunk for name in dataset_fns}
        skips = replayed_batches(strategy, done, opt_config.accumulation_steps)
        logging.info(
            "Resuming the input by replaying %s batches per input pipeline (%s)",
            skips,
            inputs.unsaved_reason or f"{os.path.basename(restored)} holds no input position",
        )
        with start_up_lines_held():
            inputs = open_inputs(strategy, dataset_fns, skips)
        if inputs.state is not None:
            saver.track_input(inputs.state)
    iterators = inputs.iterators
    chief = is_chief(strategy)
    if chief:
        save_run_config(config, workdir)
    writer = (
        tf.summary.create_file_writer(os.path.join(workdir, "tensorboard"))
        if chief
        else tf.summary.create_noop_writer()
    )
    progress = ProgressLine(total_steps, enabled=chief)
    with SigtermFlag() as sigterm:
        while step < total_steps and not best.stopped():
            name = schedule[step // chunk]
            num = min(chunk, total_steps - step)
            loss_weight = coefficient(lambdas[name], step) if name in lambdas else 1.0
            start = time.perf_counter()
            totals = step_fn.run(iterators[name], tf.constant(num), name, tf.constant(loss_weight))
            totals = {k: v.numpy() for k, v in totals.items()}
            seconds = time.perf_counter() - start
            step += num
            scalars = _scalars(name, totals, run.language_names, seconds)
            if name in lambdas:
                scalars[f"{name}/lambda"] = loss_weight
            scalars["learning_rate"] = (
                float(optimizer.learning_rate.numpy())
                if hasattr(optimizer.learning_rate, "numpy")
                else float(optimizer.learning_rate)
            )
            with writer.as_default(step=step):
                for tag, value in scalars.items():
                    tf.summary.scalar(tag, value)
            progress.update(
                step,
                {
                    "loss": scalars[f"{name}/loss"],
                    "accuracy": scalars[f"{name}/accuracy"],
                    "tokens/s": scalars["tokens_per_second"],
                },
            )
            if run.evaluate and (step % train_config.eval_every == 0 or step == total_steps):
                best.update(model, step, writer, chief, progress.log)
            if step % train_config.checkpoint_every == 0 or step == total_steps or best.stopped():
                saver.save(step)
            if best.stopped():
                progress.log(
                    "Stopping early at step %d: no improvement in %d evaluations; "
                    "best %.4f at step %d.",
                    step,
                    train_config.patience,
                    float(best.state.value.numpy()),
                    int(best.state.step.numpy()),
                )
            if sigterm.received and step < total_steps and not best.stopped():
                if step % train_config.checkpoint_every:
                    saver.save(step)
                writer.flush()
                progress.log("Preempted at step %d: checkpoint written", step)
                raise Preempted(step)
    writer.flush()
    if not chief:
        return model
    return write_final_preset(run, model, workdir)


def write_final_preset(run, model, workdir):
    """Write `workdir/preset` from the chosen model (the best one with an
    evaluator, else `model`) after `run.finalize`; returns that model. The
    best model, unchanged by a finalize, is copied as `run.save` wrote it."""
    preset_dir = os.path.join(workdir, PRESET_DIR)
    best_dir = os.path.join(workdir, BEST_DIR)
    if run.evaluate:
        model = load_model(best_dir)
    if run.finalize:
        model = run.finalize(model)
    if run.evaluate and not run.finalize:
        replace_directory(preset_dir, lambda directory: shutil.copytree(best_dir, directory))
    else:
        replace_directory(preset_dir, lambda directory: run.save(model, directory))
    logging.info("Wrote preset %s", preset_dir)
    return model


class BestModel:
    """Keeps `workdir/best` the best model by the run's evaluator, and counts
    evaluations without improvement (state saved in checkpoints)."""

    def __init__(self, run, train_config, workdir):
        self.evaluator = run.evaluate
        self.metric_name = run.metric_name
        self.patience = train_config.patience if run.evaluate else 0
        self.directory = os.path.join(workdir, BEST_DIR)
        self.save_fn = run.save
        self.state = tf.train.Checkpoint(
            value=tf.Variable(-np.inf, dtype=tf.float64),
            step=tf.Variable(0, dtype=tf.int64),
            evaluations_since=tf.Variable(0, dtype=tf.int64),
        )

    def stopped(self):
        """True once `patience` evaluations in a row brought no improvement."""
        return bool(self.patience) and int(self.state.evaluations_since.numpy()) >= self.patience

    def update(self, model, step, writer, chief, log=logging.info):
        """Evaluate; keep the model if it is the best so far; `log` reports."""
        metric, scalars = self.evaluator(model)
        with writer.as_default(step=step):
            for tag, value in scalars.items():
                tf.summary.scalar(f"validation/{tag}", value)
        if metric > float(self.state.value.numpy()):
            self.state.value.assign(metric)
            self.state.step.assign(step)
            self.state.evaluations_since.assign(0)
            if chief:
                replace_directory(self.directory, lambda d: self.save_fn(model, d))
            log(
                "Step %d: validation %s %.4f, new best; wrote %s",
                step,
                self.metric_name,
                metric,
                self.directory,
            )
            return
        self.state.evaluations_since.assign_add(1)
        log(
            "Step %d: validation %s %.4f (best %.4f at step %d)",
            step,
            self.metric_name,
            metric,
            float(self.state.value.numpy()),
            int(self.state.step.numpy()),
        )


def _scalars(objective, totals, language_names, seconds):
    targets = totals["targets"]
    scalars = {
        f"{objective}/loss": float(totals["loss_sum"].sum() / max(targets.sum(), 1.0)),
        f"{objective}/accuracy": float(totals["correct"].sum() / max(targets.sum(), 1.0)),
        "tokens_per_second": float(totals["tokens"] / max(seconds, 1e-9)),
    }
    for index, language in enumerate(language_names):
        if targets[index] > 0:
            mean_loss = totals["loss_sum"][index] / targets[index]
            scalars[f"{objective}/accuracy/{language}"] = float(
                totals["correct"][index] / targets[index]
            )
            scalars[f"{objective}/perplexity/{language}"] = float(np.exp(min(mean_loss, 50.0)))
    return scalars
