"""Evaluation reports on disk and in TensorBoard, for every run that writes one."""

import json
import os

import tensorflow as tf
from absl import logging


def write_report(report, json_path, writer=None, step=0, text=None, scalars=None):
    """`report` (a JSON-able dict) as indented JSON at `json_path`; with a
    TensorBoard `writer`, also `text` ((tag, Markdown) or None) and
    `scalars` ({tag: number}) at `step`."""
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")
    if writer is None:
        return
    with writer.as_default(step=step):
        if text is not None:
            tf.summary.text(*text)
        for tag, value in (scalars or {}).items():
            tf.summary.scalar(tag, value)
    writer.flush()


def write_run_report(report, workdir, file_name, step, write, format_report):
    """The end of a run: `write(report, path, writer, step)` into
    `workdir/file_name` and the run's TensorBoard (`workdir/tensorboard`),
    then `format_report(report)` printed."""
    path = os.path.join(workdir, file_name)
    writer = tf.summary.create_file_writer(os.path.join(workdir, "tensorboard"))
    write(report, path, writer, step)
    print(format_report(report))
    logging.info("Wrote %s", path)
