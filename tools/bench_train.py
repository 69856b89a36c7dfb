"""MLM training throughput and MFU: ours against Hugging Face and keras-hub.

  python tools/bench_train.py                       # 6 x 512 x 8 heads, seq 128, batch 16
  python tools/bench_train.py --steps=5 --warmup=2 --vocabulary_size=32000 --threads=2

Every implementation trains the same shape (XLM-R layout: post-LN, GELU,
LayerNorm eps 1e-5, dropout 0.1, LM head dense -> GELU -> LayerNorm -> tied
projection + bias) on the same fixed batch: all tokens real, 15 % of each
sequence (`ceil(0.15 * 128) = 20` positions) are targets.

  ours       `xlm_keras.XLMMaskedLM` over `XLMBackbone`, trained by `TrainStep`
             (OneDeviceStrategy, AdamW from `create_optimizer`, clip norm 1.0);
             logits only at the 20 `mask_positions`.
  ours XLA   the same, `TrainStep(jit_compile=True)`.
  keras-hub  `keras_hub.models.XLMRobertaMaskedLM` over `XLMRobertaBackbone`,
             compiled with AdamW and keras-hub's default loss and metric
             (`jit_compile="auto"`, which is off on CPU), `train_on_batch`;
             logits at the 20 mask positions.
  HF         transformers `XLMRobertaForMaskedLM` (PyTorch eager, default
             attention), `torch.optim.AdamW`; labels -100 off target, so the
             logits cover the full vocabulary at all 128 positions.

Throughput: tokens (batch x sequence) per second of the median step. Each
implementation first runs `--warmup` untimed steps (tracing, compilation,
optimizer state, first-touch memory); then `--steps` rounds each time one
step of every implementation in turn, after a short pause that lets the
previous one's worker threads go idle, so load from other processes falls on
all of them alike.

MFU = model FLOP/s / peak, the peak being the best float32 `tf.matmul` of
2048 x 2048 matrices, measured once per round in the same run. Model FLOPs per token of a
training step (forward + backward = 3 x forward):

  6 N  +  12 L T d  +  6 (d^2 + d V) P / T

  N         non-embedding parameters of the encoder (attention, feed-forward,
            LayerNorms), each used in one multiply-add per token;
  12 L T d  attention scores and their weighted sum (Q K^T and A V, 2 T d
            multiply-adds per token and layer forward; PaLM, appendix B);
  P         positions per sequence where the LM head runs (its d x d dense and
            d x V tied projection): 20 for ours and keras-hub, T = 128 for HF.
Embedding lookups, softmax, LayerNorms' arithmetic and the optimizer are not
counted. L layers, d hidden width, T sequence length, V vocabulary.
"""

import collections
import math
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from xlm_keras.models import XLMBackbone  # noqa: E402
from xlm_keras.models import XLMMaskedLM  # noqa: E402
from xlm_keras.models import presets  # noqa: E402
from xlm_keras.training.optimizer import create_optimizer  # noqa: E402
from xlm_keras.training.train_step import TrainStep  # noqa: E402

IMPLEMENTATIONS = ("ours", "ours_xla", "keras_hub", "hf")
LEARNING_RATE = 1e-4
WEIGHT_DECAY = 0.01
MATMUL_SIZE = 2048
SETTLE_SECONDS = 0.2  # Pause before each timed step (OpenMP / Eigen workers spin a while).
FIRST_WORD_ID = 5  # Ids 0-4 are <s>, <pad>, </s>, <unk>, <mask> in every tokenizer here.

_STEPS = flags.DEFINE_integer("steps", 3, "Timed rounds (one step of each implementation).")
_WARMUP = flags.DEFINE_integer("warmup", 1, "Untimed steps first (tracing, compilation).")
_VOCABULARY_SIZE = flags.DEFINE_integer("vocabulary_size", 32000, "Token table rows.")
_THREADS = flags.DEFINE_integer(
    "threads", 0, "Intra-op threads of TensorFlow and PyTorch alike; 0: all cores.")
_NUM_LAYERS = flags.DEFINE_integer("num_layers", 6, "Transformer blocks.")
_HIDDEN_DIM = flags.DEFINE_integer("hidden_dim", 512, "Hidden width.")
_NUM_HEADS = flags.DEFINE_integer("num_heads", 8, "Attention heads.")
_INTERMEDIATE_DIM = flags.DEFINE_integer("intermediate_dim", 2048, "Feed-forward width.")
_SEQUENCE_LENGTH = flags.DEFINE_integer("sequence_length", 128, "Tokens per sequence.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 16, "Sequences per step.")
_MASK_RATE = flags.DEFINE_float("mask_rate", 0.15, "Share of each sequence that is a target.")
_IMPLEMENTATION = flags.DEFINE_list(
    "implementation", list(IMPLEMENTATIONS), f"Which to run, of {IMPLEMENTATIONS}.")
flags.register_validator("implementation", lambda names: set(names) <= set(IMPLEMENTATIONS),
                         f"--implementation takes a comma list of {IMPLEMENTATIONS}.")

Shape = collections.namedtuple(
    "Shape", "num_layers hidden_dim num_heads intermediate_dim sequence_length "
             "batch_size vocabulary_size num_targets")


def make_shape(num_layers, hidden_dim, num_heads, intermediate_dim, sequence_length,
               batch_size, vocabulary_size, mask_rate):
    """The benchmark's `Shape`; `num_targets = ceil(mask_rate * sequence_length)`
    (`mask_tokens`' target width: 20 of 128 at 15 %)."""
    num_targets = max(1, math.ceil(round(mask_rate * sequence_length, 6)))
    return Shape(num_layers, hidden_dim, num_heads, intermediate_dim, sequence_length,
                 batch_size, vocabulary_size, num_targets)


def set_threads(threads):
    """The same intra-op thread count for TensorFlow and PyTorch; returns it.

    TensorFlow takes it only before its runtime starts; later (in a process
    that already ran TensorFlow) the current setting is kept and reported.
    """
    import torch

    threads = threads or os.cpu_count()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    except RuntimeError:
        logging.warning("TensorFlow already started; its intra-op threads stay at %d.",
                        tf.config.threading.get_intra_op_parallelism_threads())
    torch.set_num_threads(threads)
    return threads


def make_batch(shape, seed=0):
    """One MLM batch as numpy arrays, the same for every implementation.

    Returns: dict with token_ids int32 [batch, seq] (targets replaced by the
    last id, standing for `<mask>`), padding_mask int32 [batch, seq] (all 1),
    mask_positions int32 [batch, targets] (ascending, never the first or
    last position), labels int32 [batch, targets] (the original ids).
    """
    rng = np.random.default_rng(seed)
    batch, length = shape.batch_size, shape.sequence_length
    original = rng.integers(FIRST_WORD_ID, shape.vocabulary_size, (batch, length), np.int32)
    positions = np.sort(np.stack([
        rng.choice(np.arange(1, length - 1), shape.num_targets, replace=False)
        for _ in range(batch)]), axis=1).astype(np.int32)
    labels = np.take_along_axis(original, positions, axis=1)
    token_ids = original.copy()
    np.put_along_axis(token_ids, positions, shape.vocabulary_size - 1, axis=1)
    return {"token_ids": token_ids, "padding_mask": np.ones_like(token_ids),
            "mask_positions": positions, "labels": labels}


def non_embedding_params(shape):
    """Encoder parameters outside the embedding tables (weights and biases
    of attention and feed-forward, LayerNorm scales and offsets)."""
    d, f = shape.hidden_dim, shape.intermediate_dim
    attention = 4 * (d * d + d)
    feed_forward = 2 * d * f + f + d
    layer_norms = 2 * 2 * d
    return shape.num_layers * (attention + feed_forward + layer_norms)


def flops_per_token(shape, head_positions):
    """Model FLOPs per token of one training step (see the module docstring);
    `head_positions`: positions per sequence where the LM head runs."""
    d, length = shape.hidden_dim, shape.sequence_length
    head = 6 * (d * d + d * shape.vocabulary_size) * head_positions / length
    return 6 * non_embedding_params(shape) + 12 * shape.num_layers * length * d + head


def matmul_peak_gflops(size=MATMUL_SIZE, repeats=3):
    """Best float32 `tf.matmul` rate of `size` x `size` matrices, GFLOP/s."""
    a = tf.random.uniform([size, size])
    b = tf.random.uniform([size, size])
    tf.matmul(a, b).numpy()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


def timed_seconds(step):
    """Wall time of one call of `step()`, after `SETTLE_SECONDS` of rest."""
    time.sleep(SETTLE_SECONDS)
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def ours_step(shape, batch, jit_compile=False):
    """One training step of our `XLMMaskedLM` through `TrainStep`."""
    keras.utils.set_random_seed(0)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    config = dict(
        presets.backbone_config("xlm_roberta_base", load_weights=False),
        vocabulary_size=shape.vocabulary_size, num_layers=shape.num_layers,
        hidden_dim=shape.hidden_dim, num_heads=shape.num_heads,
        intermediate_dim=shape.intermediate_dim, max_sequence_length=shape.sequence_length)
    with strategy.scope():
        model = XLMMaskedLM(XLMBackbone(**config), compile=False)
        optimizer = create_optimizer(LEARNING_RATE, warmup_steps=1, total_steps=10**6,
                                     weight_decay=WEIGHT_DECAY)
        step_fn = TrainStep(strategy, model, optimizer, num_languages=1,
                            jit_compile=jit_compile)
    element = {
        "x": {name: batch[name] for name in ("token_ids", "padding_mask", "mask_positions")},
        "labels": batch["labels"],
        "sample_weight": np.ones(batch["labels"].shape, np.float32),
        "language": np.zeros([shape.batch_size], np.int32),
    }
    cached = tf.data.Dataset.from_tensors(element).repeat()
    iterator = iter(strategy.distribute_datasets_from_function(lambda context: cached))
    one = tf.constant(1)
    return lambda: step_fn.run(iterator, one)["tokens"].numpy()


def keras_hub_step(shape, batch):
    """One `train_on_batch` of keras-hub's compiled `XLMRobertaMaskedLM`."""
    import keras_hub

    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.XLMRobertaBackbone(
        vocabulary_size=shape.vocabulary_size, num_layers=shape.num_layers,
        num_heads=shape.num_heads, hidden_dim=shape.hidden_dim,
        intermediate_dim=shape.intermediate_dim, max_sequence_length=shape.sequence_length)
    model = keras_hub.models.XLMRobertaMaskedLM(backbone, preprocessor=None)
    model.compile(optimizer=keras.optimizers.AdamW(LEARNING_RATE, weight_decay=WEIGHT_DECAY))
    x = {name: tf.constant(batch[name]) for name in ("token_ids", "padding_mask", "mask_positions")}
    y = tf.constant(batch["labels"])
    weights = tf.ones(y.shape)
    return lambda: model.train_on_batch(x, y, sample_weight=weights)


def hf_step(shape, batch):
    """One training step of Hugging Face's `XLMRobertaForMaskedLM` (PyTorch)."""
    import torch
    import transformers

    torch.manual_seed(0)
    config = transformers.XLMRobertaConfig(
        vocab_size=shape.vocabulary_size, hidden_size=shape.hidden_dim,
        num_hidden_layers=shape.num_layers, num_attention_heads=shape.num_heads,
        intermediate_size=shape.intermediate_dim,
        max_position_embeddings=shape.sequence_length + 2, type_vocab_size=1,
        layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    model = transformers.XLMRobertaForMaskedLM(config).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE,
                                  weight_decay=WEIGHT_DECAY)
    labels = np.full(batch["token_ids"].shape, -100, np.int64)
    np.put_along_axis(labels, batch["mask_positions"], batch["labels"], axis=1)
    inputs = {"input_ids": torch.from_numpy(batch["token_ids"].astype(np.int64)),
              "attention_mask": torch.from_numpy(batch["padding_mask"].astype(np.int64)),
              "labels": torch.from_numpy(labels)}

    def step():
        model(**inputs).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def build_step(name, shape, batch):
    """`(step, head_positions)` of implementation `name`."""
    if name == "ours":
        return ours_step(shape, batch), shape.num_targets
    if name == "ours_xla":
        return ours_step(shape, batch, jit_compile=True), shape.num_targets
    if name == "keras_hub":
        return keras_hub_step(shape, batch), shape.num_targets
    return hf_step(shape, batch), shape.sequence_length


def run(shape, implementations, warmup, steps):
    """The matmul peak (GFLOP/s, best of all rounds) and one row per
    implementation, from the median of its `steps` interleaved timings."""
    batch = make_batch(shape)
    built = {}
    for name in sorted(implementations, key=IMPLEMENTATIONS.index):
        built[name] = build_step(name, shape, batch)
        for _ in range(warmup):
            built[name][0]()
    peak, timings = 0.0, {name: [] for name in built}
    for _ in range(steps):
        peak = max(peak, matmul_peak_gflops())
        for name, (step, _) in built.items():
            timings[name].append(timed_seconds(step))
    tokens = shape.batch_size * shape.sequence_length
    rows = []
    for name, (_, positions) in built.items():
        seconds = statistics.median(timings[name])
        model_flops = flops_per_token(shape, positions) * tokens / seconds
        rows.append({"implementation": name, "tokens_per_second": tokens / seconds,
                     "seconds_per_step": seconds, "head_positions": positions,
                     "gflops": model_flops / 1e9, "mfu": model_flops / 1e9 / peak})
    return peak, rows


def format_table(peak, rows, shape, threads):
    """A Markdown table of `run`'s rows, speeds relative to `ours`."""
    reference = {row["implementation"]: row["tokens_per_second"] for row in rows}.get("ours")
    lines = [
        f"{shape.num_layers} layers x {shape.hidden_dim} ({shape.num_heads} heads, "
        f"intermediate {shape.intermediate_dim}), vocabulary {shape.vocabulary_size}, "
        f"batch {shape.batch_size} x {shape.sequence_length}, {shape.num_targets} targets "
        f"per sequence, {threads} threads; float32 matmul peak {peak:.1f} GFLOP/s",
        "| implementation | tokens/s | median s/step | vs ours | LM head at | model GFLOP/s | MFU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        ratio = f"{row['tokens_per_second'] / reference:.2f}x" if reference else "-"
        lines.append(
            f"| {row['implementation']} | {row['tokens_per_second']:,.0f} | "
            f"{row['seconds_per_step']:.3f} | {ratio} | {row['head_positions']} positions | "
            f"{row['gflops']:.1f} | {100 * row['mfu']:.1f} % |")
    return "\n".join(lines)


def main(argv):
    del argv
    threads = set_threads(_THREADS.value)
    shape = make_shape(_NUM_LAYERS.value, _HIDDEN_DIM.value, _NUM_HEADS.value,
                       _INTERMEDIATE_DIM.value, _SEQUENCE_LENGTH.value, _BATCH_SIZE.value,
                       _VOCABULARY_SIZE.value, _MASK_RATE.value)
    peak, rows = run(shape, _IMPLEMENTATION.value, _WARMUP.value, _STEPS.value)
    print(format_table(peak, rows, shape, threads))


if __name__ == "__main__":
    app.run(main)
