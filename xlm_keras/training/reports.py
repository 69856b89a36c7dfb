"""Evaluation reports on disk and in TensorBoard, for every run that writes one."""

import json

import tensorflow as tf


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
