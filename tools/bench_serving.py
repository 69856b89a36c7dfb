"""Strings -> embedding throughput and latency of an exported SavedModel.

  python tools/bench_serving.py --saved_model=models/xlm/1 --language=en
  python tools/bench_serving.py --saved_model=models/xlmr/1 --batch_size=32 --batches=300

Loads the version the way a server does (TensorFlow plus tf-text's
SentencePiece kernels only; no Keras), then calls `--signature` (default
`embed`) on batches of sentences from the bundled corpus: `--warmup` batches
untimed, then `--batches` timed ones. Prints one JSON line: texts/s, batch
latency p50/p90/p99 in ms, and the setup (device, threads, T).
"""

import json
import os
import sys
import time

from absl import app
from absl import flags

_SAVED_MODEL = flags.DEFINE_string("saved_model", None, "Version directory to load.")
_SIGNATURE = flags.DEFINE_string("signature", "embed", "A text signature.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 32, "Texts per call.", lower_bound=1)
_BATCHES = flags.DEFINE_integer("batches", 200, "Timed calls.", lower_bound=1)
_WARMUP = flags.DEFINE_integer("warmup", 10, "Untimed calls first.", lower_bound=0)
_LANGUAGE = flags.DEFINE_string(
    "language", None, "Language code sent with every text (models with language "
    "embeddings); default: the first in signatures.json.")
_CORPUS_LANGUAGE = flags.DEFINE_string("corpus_language", "en", "Sample sentences of this language.")
flags.mark_flag_as_required("saved_model")

SAMPLE_CORPUS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "xlm_keras", "pretraining", "sample_corpus")


def load(saved_model):
    """The SavedModel, with only TensorFlow and tf-text's SentencePiece kernels."""
    import importlib.util

    import tensorflow as tf

    text_dir = os.path.dirname(importlib.util.find_spec("tensorflow_text").origin)
    tf.load_op_library(os.path.join(text_dir, "python", "ops", "_sentencepiece_tokenizer.so"))
    return tf.saved_model.load(saved_model)


def sentences(language, count):
    """`count` corpus lines of `language`, cycled if the file is shorter."""
    path = os.path.join(SAMPLE_CORPUS, "mono", f"{language}.test.txt")
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    return [lines[i % len(lines)] for i in range(count)]


def benchmark(function, batches, warmup):
    """Latencies (seconds) of `function(batch)` over `batches` after `warmup` calls."""
    for batch in batches[:warmup]:
        function(batch)
    latencies = []
    for batch in batches[warmup:]:
        start = time.perf_counter()
        function(batch)
        latencies.append(time.perf_counter() - start)
    return latencies


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    import numpy as np
    import tensorflow as tf

    with open(os.path.join(_SAVED_MODEL.value, "signatures.json"), encoding="utf-8") as f:
        description = json.load(f)
    model = load(_SAVED_MODEL.value)
    signature = model.signatures[_SIGNATURE.value]
    size, count = _BATCH_SIZE.value, _WARMUP.value + _BATCHES.value
    texts = sentences(_CORPUS_LANGUAGE.value, size * count)
    batches = [{"text": tf.constant(texts[i * size:(i + 1) * size])} for i in range(count)]
    if description["model"]["has_language_input"]:
        code = _LANGUAGE.value or description["model"]["languages"][0]
        for batch in batches:
            batch["language"] = tf.constant([code] * size)

    def call(batch):
        # .numpy() waits for the result, as a server must before replying.
        return {name: value.numpy() for name, value in signature(**batch).items()}

    latencies = np.array(benchmark(call, batches, _WARMUP.value))
    tokens = model.signatures["tokenize"](**batches[0]) if "tokenize" in model.signatures else None
    print(json.dumps({
        "saved_model": _SAVED_MODEL.value,
        "signature": _SIGNATURE.value,
        "batch_size": size,
        "batches": len(latencies),
        "texts_per_s": round(size * len(latencies) / latencies.sum(), 1),
        "latency_ms": {f"p{q}": round(float(np.percentile(latencies, q)) * 1e3, 2)
                       for q in (50, 90, 99)},
        "sequence_length": None if tokens is None else int(tokens["token_ids"].shape[1]),
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
        "cpu_threads": os.cpu_count(),
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
    }))


if __name__ == "__main__":
    app.run(main)
