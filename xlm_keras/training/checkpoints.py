"""Checkpoints that survive crashes, for one or many workers."""

import os
import shutil

import tensorflow as tf
from absl import logging


def is_chief(strategy):
    """True on the worker that writes checkpoints, logs and presets."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker"
        and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().as_dict()
    )


class CheckpointSaver:
    """`tf.train.CheckpointManager` over `workdir/checkpoints`, keeping the
    last `keep` checkpoints. TF writes the data files first and the
    `checkpoint` index last, so a crash mid-save leaves the previous
    checkpoint as the latest. Non-chief workers take part in the (collective)
    save but write to a scratch directory that is deleted afterwards. A
    checkpoint that cannot be read (a truncated data or index file) is
    skipped, by name, for the one before it.
    """

    def __init__(self, strategy, workdir, keep, **trackables):
        self.checkpoint = tf.train.Checkpoint(**trackables)
        self.chief = is_chief(strategy)
        directory = os.path.join(workdir, "checkpoints")
        if not self.chief:
            directory = os.path.join(
                workdir, "scratch", f"worker_{strategy.cluster_resolver.task_id}"
            )
        self.scratch = None if self.chief else directory
        self.manager = tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep=keep)
        self.read_manager = tf.train.CheckpointManager(
            self.checkpoint, os.path.join(workdir, "checkpoints"), max_to_keep=keep
        )

    def restore_latest(self):
        """Restore the chief's newest readable checkpoint; returns its path,
        or None when there is none. Raises ValueError when there are
        checkpoints but none can be read."""
        unreadable = []
        for path in reversed(self.read_manager.checkpoints):
            try:
                self.checkpoint.restore(path).assert_existing_objects_matched()
            except (tf.errors.OpError, IndexError) as error:  # IndexError: short data file.
                reason = str(error).strip().splitlines()[0]
                logging.warning(
                    "Checkpoint %s is unreadable (%s); trying the one before.", path, reason
                )
                unreadable.append(f"{os.path.basename(path)} ({reason})")
                continue
            return path
        if unreadable:
            directory = self.read_manager.directory
            raise ValueError(
                f"No readable checkpoint in {directory}: {'; '.join(unreadable)}. Restore "
                f"them from a backup, or delete {directory} to train from scratch."
            )
        return None

    def save(self, step):
        self.manager.save(checkpoint_number=step)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
