"""Fine-tuning: task data (local JSONL/TSV, TFDS), task pipelines built on
the preprocessors, QA windows, the bundled help-topic task, and the run,
zero-shot report and language centering of `xlm-train` / `xlm-eval`."""
