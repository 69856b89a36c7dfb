"""What a kind of run (pretraining, fine-tuning, translation) gives the
trainer: one contract, so the three runs build their model, data,
evaluator and final preset the same way (`trainer.train`)."""

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass(kw_only=True)
class TrainingRun:
    """A run's parts.

    Attributes:
        build_model: `() -> task`, called by the trainer in the strategy's
            scope (and inside the run's `precision_policy`).
        dataset_fns: objective -> `fn(input_context, skip_batches)` giving a
            per-replica batched `tf.data.Dataset` of training batches (see
            `train_step`), already `skip_batches` into its stream (0 unless a
            resume replays, see `inputs`).
        language_names: language codes of the per-language metrics.
        save: `fn(model, directory)` writing a preset (with its
            preprocessor, so it takes raw text).
        evaluate: optional `fn(model) -> (metric, scalars)`, higher metric
            better, every `train.eval_every` steps; with it the final preset
            is the best model, not the last.
        metric_name: what `evaluate`'s metric is, for the log ("BLEU").
        finalize: optional `fn(model) -> model` run on the chosen model
            before the final preset is written (language centering).
        learning_rate_multipliers: optional `fn(model)` -> variable path ->
            learning-rate factor (see `ScaledAdamW`).
        label_smoothing: of the targets' cross-entropy (see `TrainStep`).
        batch_transforms: optional `fn(model)` -> objective -> batch
            transform run inside the step (see `TrainStep`).
    """

    build_model: Callable
    dataset_fns: dict
    language_names: list
    save: Callable
    evaluate: Callable | None = None
    metric_name: str = "metric"
    finalize: Callable | None = None
    learning_rate_multipliers: Callable | None = None
    label_smoothing: float = 0.0
    batch_transforms: Callable | None = None
