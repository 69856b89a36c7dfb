"""Checkpoints that survive crashes, for one or many workers."""

import os
import re
import shutil

import tensorflow as tf
from absl import logging

STATE_FILE = "checkpoint"
_INDEX_FILE = re.compile(r"ckpt-(\d+)\.index")


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
    skipped, by name, for the one before it. A missing or unreadable
    `checkpoint` state file does not lose the run: the `ckpt-N` files
    themselves are resumed from (see `recorded_checkpoints`).

    `input_state` (optional trackable: the input iterators' positions) is
    saved under `input`, unless TensorFlow cannot save it (a dataset that
    runs Python): then, from the first save on, checkpoints go without it.
    A checkpoint without it (an older run) still restores everything else;
    `restored_input` says which.
    """

    def __init__(self, strategy, workdir, keep, input_state=None, **trackables):
        self.without_input = tf.train.Checkpoint(**trackables)
        self.checkpoint = (
            tf.train.Checkpoint(**trackables, input=input_state)
            if input_state is not None
            else self.without_input
        )
        self.restored_input = False
        self.keep = keep
        self.chief = is_chief(strategy)
        self.directory = os.path.join(workdir, "checkpoints")
        directory = self.directory
        if not self.chief:
            directory = os.path.join(
                workdir, "scratch", f"worker_{strategy.cluster_resolver.task_id}"
            )
        self.scratch = None if self.chief else directory
        # Before the manager reads the state file: the chief repairs it.
        self.checkpoints = recorded_checkpoints(self.directory, repair=self.chief)
        self.manager = tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep=keep)

    def restore_latest(self):
        """Restore the chief's newest readable checkpoint; returns its path,
        or None when there is none. Raises ValueError when there are
        checkpoints but none can be read."""
        unreadable = []
        for path in reversed(self.checkpoints):
            try:
                with_input = self.checkpoint is not self.without_input and holds_input(path)
                checkpoint = self.checkpoint if with_input else self.without_input
                checkpoint.restore(path).assert_existing_objects_matched()
            except (tf.errors.OpError, IndexError) as error:  # IndexError: short data file.
                reason = str(error).strip().splitlines()[0]
                logging.warning(
                    "Checkpoint %s is unreadable (%s); trying the one before.", path, reason
                )
                unreadable.append(f"{os.path.basename(path)} ({reason})")
                continue
            self.restored_input = with_input
            return path
        if unreadable:
            raise ValueError(
                f"No readable checkpoint in {self.directory}: {'; '.join(unreadable)}. Restore "
                f"them from a backup, or delete {self.directory} to train from scratch."
            )
        return None

    def track_input(self, input_state):
        """Save `input_state` (the positions of the iterators that replaced
        those the saver was built with) from the next save on."""
        self.checkpoint.input = input_state

    def save(self, step):
        try:
            self.manager.save(checkpoint_number=step)
        except tf.errors.FailedPreconditionError as error:
            if self.checkpoint is self.without_input:
                raise
            logging.info(
                "Checkpoints hold no input position: TensorFlow cannot save the input (%s); "
                "a resume replays the batches consumed.",
                " ".join(re.sub(r"\{\{.*?\}\}|\[Op:.*", "", error.message).split()),
            )
            self.checkpoint = self.without_input
            self.manager = tf.train.CheckpointManager(
                self.checkpoint, self.manager.directory, max_to_keep=self.keep
            )
            self.manager.save(checkpoint_number=step)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def holds_input(path):
    """True when the checkpoint `path` saved the input iterators' positions."""
    return any(name.startswith("input/") for name, _ in tf.train.list_variables(path))


def checkpoint_files(directory):
    """Paths `directory/ckpt-N` of the checkpoints whose index file exists,
    by step N, oldest first."""
    if not os.path.isdir(directory):
        return []
    steps = sorted(
        int(match[1]) for match in map(_INDEX_FILE.fullmatch, os.listdir(directory)) if match
    )
    return [os.path.join(directory, f"ckpt-{step}") for step in steps]


def recorded_checkpoints(directory, repair=False):
    """The checkpoints of `directory`, oldest first: those its `checkpoint`
    state file lists, or, when that file is missing, empty or unreadable,
    the `ckpt-N` files themselves (with a warning naming the file). With
    `repair` (the chief), a bad state file is rewritten from those files,
    so that `tf.train.CheckpointManager` keeps managing them."""
    state_path = os.path.join(directory, STATE_FILE)
    try:
        state = tf.train.get_checkpoint_state(directory)
        problem = None if state else "unreadable" if os.path.exists(state_path) else "missing"
    except (ValueError, UnicodeDecodeError, tf.errors.OpError) as error:
        state, problem = None, f"unreadable: {' '.join(str(error).split())}"
    if state is not None:
        return list(state.all_model_checkpoint_paths)
    files = checkpoint_files(directory)
    if files:
        logging.warning(
            "The checkpoint state file %s is %s; resuming from the checkpoint files "
            "themselves (%s), newest first.",
            state_path,
            problem,
            ", ".join(os.path.basename(path) for path in files),
        )
    if repair and files:
        # With their times, or the manager would never delete them (`keep`).
        times = [os.path.getmtime(f"{path}.index") for path in files]
        tf.compat.v1.train.update_checkpoint_state(
            directory,
            files[-1],
            files,
            all_model_checkpoint_timestamps=times,
            last_preserved_timestamp=min(times) - 1,
        )
    elif repair and os.path.exists(state_path):
        os.remove(state_path)  # Lists no checkpoint file; the next save writes it anew.
    return files
