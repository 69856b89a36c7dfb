"""Pretraining: MLM/TLM/CLM tf.data pipelines on `xlm_keras.data`, their
config, and the run and evaluation of `xlm-train` / `xlm-eval` for
pretrained models."""
