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


@pytest.mark.parametrize(
    "state",
    [None, b"", b"garbage!!", b"\xff\xfe not utf-8"],
    ids=["missing", "empty", "garbage", "bad_utf8"],
)
def test_lost_or_unreadable_state_file_resumes_from_the_newest_checkpoint_file(
    tmp_path, state, caplog
):
    directory = _save_steps(tmp_path, [40, 50])
    state_path = os.path.join(directory, "checkpoint")
    os.remove(state_path)
    if state is not None:
        with open(state_path, "wb") as f:
            f.write(state)
    variable = tf.Variable(tf.zeros([256]))
    saver = _saver(tmp_path, variable)
    assert saver.restore_latest() == os.path.join(directory, "ckpt-50")
    assert float(variable[0]) == 50.0
    assert any(
        state_path in record.getMessage() and "ckpt-50" in record.getMessage()
        for record in caplog.records
        if record.levelname == "WARNING"
    )
    # The repaired state file keeps managing the old checkpoints: none is overwritten
    # and `keep` still applies.
    saver.save(60)
    saver.save(70)
    assert sorted(f for f in os.listdir(directory) if f.endswith(".index")) == [
        "ckpt-50.index",
        "ckpt-60.index",
        "ckpt-70.index",
    ]
    assert _saver(tmp_path, variable).restore_latest() == os.path.join(directory, "ckpt-70")


def test_unreadable_checkpoint_files_without_state_file_are_refused_not_overwritten(tmp_path):
    directory = _save_steps(tmp_path, [40, 50])
    os.remove(os.path.join(directory, "checkpoint"))
    for step in (40, 50):
        _truncate(os.path.join(directory, f"ckpt-{step}.data-00000-of-00001"), 20)
    with pytest.raises(ValueError, match=f"No readable checkpoint in {directory}"):
        _saver(tmp_path, tf.Variable(tf.zeros([256]))).restore_latest()


def test_garbage_state_file_without_checkpoints_is_a_fresh_start(tmp_path):
    directory = tmp_path / "checkpoints"
    directory.mkdir()
    (directory / "checkpoint").write_bytes(b"\xff garbage")
    saver = _saver(tmp_path, tf.Variable(0.0))
    assert saver.restore_latest() is None
    saver.save(10)
    assert _saver(tmp_path, tf.Variable(0.0)).restore_latest() == str(directory / "ckpt-10")
