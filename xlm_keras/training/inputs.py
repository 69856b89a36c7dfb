"""The trainer's input iterators, one per objective, and where a resumed run
finds its place in them.

Under one device and `MirroredStrategy` (one input pipeline), an
objective's batches come from one `tf.data` iterator on the host
(`ReplicaFeed`): each `next()` takes one batch per local replica, in
replica order, as `distribute_datasets_from_function` hands them out. The
iterator's position is saved in the checkpoint (`TrainingInputs.state`),
so a resume continues at the next batch in constant time. tf.distribute's
own iterators cannot be saved, nor can a dataset that runs Python (a
`from_generator` source: `CheckpointSaver` then saves without it); then
(several workers, TPUs, Python sources), and when a checkpoint holds no
input position (an older one), a resume replays: it skips the batches
consumed, steps x accumulation x local replicas of each input pipeline.
"""

import dataclasses

import tensorflow as tf


def local_replicas(strategy):
    """Replicas of this worker: those its input pipeline feeds."""
    return len(strategy.extended.worker_devices)


class ReplicaFeed:
    """Per-replica batches from one host iterator (the trainer's `next()`).

    Args:
        strategy: one device or `MirroredStrategy` (one input pipeline).
        dataset: per-replica batches; consecutive batches go to replicas
            0, 1, ... of a step.
        local_replicas: replicas that this input pipeline feeds.

    `iterator` is the `tf.data` iterator, a checkpointable object.
    """

    def __init__(self, strategy, dataset, local_replicas):
        self.strategy = strategy
        self.local_replicas = local_replicas
        self.iterator = iter(dataset)

    def __next__(self):
        batches = [next(self.iterator) for _ in range(self.local_replicas)]
        return self.strategy.experimental_distribute_values_from_function(
            lambda context: batches[context.replica_id_in_sync_group % self.local_replicas]
        )


@dataclasses.dataclass
class TrainingInputs:
    """Attributes:
    iterators: objective -> iterator of per-replica batches.
    state: `tf.train.Checkpoint` of the iterators' positions, for the
        run's checkpoint; None when tf.distribute's iterators are used.
    unsaved_reason: why `state` is None.
    """

    iterators: dict
    state: tf.train.Checkpoint | None
    unsaved_reason: str | None


def open_inputs(strategy, dataset_fns, skips=None):
    """The objectives' iterators, `skips` (objective -> batches per input
    pipeline, default 0) into their streams.

    Args:
        strategy: `tf.distribute.Strategy`.
        dataset_fns: objective -> `fn(input_context, skip)` (see
            `TrainingRun.dataset_fns`).
        skips: optional objective -> batches to skip (`replayed_batches`).

    Returns: `TrainingInputs`.
    """
    skips = {name: (skips or {}).get(name, 0) for name in dataset_fns}
    replicas = local_replicas(strategy)
    workers = strategy.num_replicas_in_sync // replicas
    if workers > 1 or isinstance(strategy, tf.distribute.TPUStrategy):
        reason = (
            f"{workers} workers, each at its own position"
            if workers > 1
            else "TPUStrategy's input iterators cannot be checkpointed"
        )
        iterators = {
            name: iter(
                strategy.distribute_datasets_from_function(
                    lambda context, fn=fn, skip=skips[name]: fn(context, skip)
                )
            )
            for name, fn in dataset_fns.items()
        }
        return TrainingInputs(iterators, None, reason)
    context = tf.distribute.InputContext(
        num_input_pipelines=1,
        input_pipeline_id=0,
        num_replicas_in_sync=strategy.num_replicas_in_sync,
    )
    feeds = {
        name: ReplicaFeed(strategy, fn(context, skips[name]), replicas)
        for name, fn in dataset_fns.items()
    }
    state = tf.train.Checkpoint(**{name: feed.iterator for name, feed in feeds.items()})
    return TrainingInputs(feeds, state, None)


def replayed_batches(strategy, steps_done, accumulation_steps):
    """objective -> batches each input pipeline skips to resume after
    `steps_done` (objective -> optimizer steps trained): every step takes
    `accumulation_steps` batches for each of the pipeline's local replicas."""
    replicas = local_replicas(strategy)
    return {name: steps * accumulation_steps * replicas for name, steps in steps_done.items()}
