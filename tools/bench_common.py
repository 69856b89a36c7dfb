"""What the benchmark tools share: the model-shape flags, the SentencePiece
model and random Hugging Face XLM-R of the comparisons, loading a SavedModel
the way a server does, Hugging Face's tokenisation, timing batches, and
running one timed path in a fresh process.

The tools import it as a neighbour (`import bench_common`): run them as
`python tools/bench_<name>.py`.
"""

import json
import os
import subprocess
import sys
import time

from absl import flags

NUM_LAYERS = flags.DEFINE_integer("num_layers", 6, "Transformer blocks (per side).")
HIDDEN_DIM = flags.DEFINE_integer("hidden_dim", 512, "Hidden width.")
NUM_HEADS = flags.DEFINE_integer("num_heads", 8, "Attention heads.")
VOCABULARY_SIZE = flags.DEFINE_integer("vocabulary_size", 32000, "Token table rows.")


def sentencepiece_model(pieces):
    """bytes: a SentencePiece model of at most `pieces` pieces trained on the
    bundled corpus (train split, all languages)."""
    import io

    import sentencepiece as spm

    from xlm_keras.data import corpus

    files = corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "train")
    lines = [
        line for paths in files.values() for path in paths for line in open(path, encoding="utf-8")
    ]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=pieces,
        hard_vocab_limit=False,
        minloglevel=2,
        num_threads=os.cpu_count(),
    )
    return model.getvalue()


def hf_xlmr_config(num_layers, hidden_dim, num_heads, vocabulary_size, max_length, **options):
    """`transformers.XLMRobertaConfig` of the shape: feed-forward 4 x
    `hidden_dim` unless `options` say otherwise, one token type, positions
    for `max_length` tokens (past fairseq's padding offset)."""
    import transformers

    options.setdefault("intermediate_size", 4 * hidden_dim)
    return transformers.XLMRobertaConfig(
        vocab_size=vocabulary_size,
        hidden_size=hidden_dim,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        type_vocab_size=1,
        max_position_embeddings=max_length + 2,
        **options,
    )


def hf_batch(tokenizer, texts, max_length):
    """Hugging Face tokenizer output for `texts`: PyTorch tensors padded to
    the longest row, cut to `max_length` tokens."""
    return tokenizer(
        texts, padding="longest", truncation=True, max_length=max_length, return_tensors="pt"
    )


def load_saved_model(path):
    """The SavedModel at `path`, with only TensorFlow and tf-text's
    SentencePiece kernels (as a server loads it)."""
    import importlib.util

    import tensorflow as tf

    text_dir = os.path.dirname(importlib.util.find_spec("tensorflow_text").origin)
    tf.load_op_library(os.path.join(text_dir, "python", "ops", "_sentencepiece_tokenizer.so"))
    return tf.saved_model.load(path)


def batch_latencies(call, texts, size, batches, warmup):
    """float64 [batches]: seconds of `call(batch)` on consecutive batches of
    `size` texts (cycled), after `warmup` untimed ones."""
    import numpy as np

    count = warmup + batches
    texts = [texts[i % len(texts)] for i in range(size * count)]
    latencies = []
    for i in range(count):
        batch = texts[i * size : (i + 1) * size]
        start = time.perf_counter()
        call(batch)
        if i >= warmup:
            latencies.append(time.perf_counter() - start)
    return np.array(latencies)


def run_fresh(script, args, name):
    """The JSON report (dict) that `script` run in a fresh Python process with
    `args` prints last; `name` names it in the error if it fails."""
    process = subprocess.run(
        [sys.executable, os.path.abspath(script), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if process.returncode:
        raise RuntimeError(f"{name} failed: {process.stderr[-3000:]}")
    return json.loads(process.stdout.splitlines()[-1])


def median(runs, *keys):
    """The median over reports `runs` of `run[keys[0]][keys[1]]...`."""
    import numpy as np

    values = []
    for run in runs:
        for key in keys:
            run = run[key]
        values.append(run)
    return float(np.median(values))
