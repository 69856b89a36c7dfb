"""Checkpoints that survive crashes, for one or many workers."""

import os
import shutil

import tensorflow as tf


def is_chief(strategy):
    """True on the worker that writes checkpoints, logs and presets."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().as_dict()
    )


class CheckpointSaver:
    """`tf.train.CheckpointManager` over `workdir/checkpoints`, keeping the
    last `keep` checkpoints. TF writes the data files first and the
    `checkpoint` index last, so a crash mid-save leaves the previous
    checkpoint as the latest. Non-chief workers take part in the (collective)
    save but write to a scratch directory that is deleted afterwards.
    """

    def __init__(self, strategy, workdir, keep, **trackables):
        self.checkpoint = tf.train.Checkpoint(**trackables)
        self.chief = is_chief(strategy)
        directory = os.path.join(workdir, "checkpoints")
        if not self.chief:
            directory = os.path.join(
                workdir, "scratch", f"worker_{strategy.cluster_resolver.task_id}")
        self.scratch = None if self.chief else directory
        self.manager = tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep=keep)
        self.read_manager = tf.train.CheckpointManager(
            self.checkpoint, os.path.join(workdir, "checkpoints"), max_to_keep=keep)

    def restore_latest(self):
        """Restore the chief's latest checkpoint; returns its path or None."""
        path = self.read_manager.latest_checkpoint
        if path:
            self.checkpoint.restore(path).assert_existing_objects_matched()
        return path

    def save(self, step):
        self.manager.save(checkpoint_number=step)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
