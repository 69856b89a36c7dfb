"""Resume falls back from an unreadable newest checkpoint to the newest
readable one, and stops with one line only when none can be read."""

import os

import pytest
import tensorflow as tf

from xlm_keras.training.checkpoints import CheckpointSaver


def _saver(workdir, variable):
    return CheckpointSaver(tf.distribute.get_strategy(), str(workdir), keep=3, v=variable)


def _save_steps(workdir, steps):
    variable = tf.Variable(tf.zeros([256]))
    saver = _saver(workdir, variable)
    for step in steps:
        variable.assign(tf.fill([256], float(step)))
        saver.save(step)
    return os.path.join(workdir, "checkpoints")


def _truncate(path, size):
    with open(path, "r+b") as f:
        f.truncate(size)


@pytest.mark.parametrize("damaged_file", ["ckpt-20.data-00000-of-00001", "ckpt-20.index"])
def test_unreadable_newest_checkpoint_falls_back_to_the_one_before(tmp_path, damaged_file, caplog):
    directory = _save_steps(tmp_path, [10, 20])
    _truncate(os.path.join(directory, damaged_file), 20)
    variable = tf.Variable(tf.zeros([256]))
    restored = _saver(tmp_path, variable).restore_latest()
    assert restored == os.path.join(directory, "ckpt-10")
    assert float(variable[0]) == 10.0
    assert any(
        "ckpt-20" in record.getMessage() and "unreadable" in record.getMessage()
        for record in caplog.records
    )


def test_no_readable_checkpoint_is_one_line_naming_them(tmp_path):
    directory = _save_steps(tmp_path, [10, 20])
    for step in (10, 20):
        _truncate(os.path.join(directory, f"ckpt-{step}.data-00000-of-00001"), 20)
    with pytest.raises(ValueError, match="No readable checkpoint") as error:
        _saver(tmp_path, tf.Variable(tf.zeros([256]))).restore_latest()
    message = str(error.value)
    assert "\n" not in message and "ckpt-10" in message and "ckpt-20" in message


def test_no_checkpoint_is_a_fresh_start(tmp_path):
    assert _saver(tmp_path, tf.Variable(0.0)).restore_latest() is None
