"""Training-step throughput and MFU: ours against keras-hub and Hugging Face.

  python tools/bench_train.py                    # MLM pretraining step, 6 x 512 x 8 heads
  python tools/bench_train.py --task=classify    # fine-tuning step, 3 classes
  python tools/bench_train.py --steps=8 --warmup=2 --threads=2

Every implementation trains the same shape (XLM-R layout: post-LN, GELU,
LayerNorm eps 1e-5, dropout 0.1) with AdamW (learning rate 1e-4, weight decay
0.01) on the same fixed batch, all tokens real.

`--task=mlm`: LM head dense -> GELU -> LayerNorm -> tied projection + bias;
15 % of each sequence (`ceil(0.15 * 128) = 20` positions) are targets.

  ours           `XLMMaskedLM` over `XLMBackbone`, trained by `TrainStep`
                 (OneDeviceStrategy, `create_optimizer`, clip norm 1.0);
                 logits only at the 20 `mask_positions`.
  ours_xla       the same, `TrainStep(jit_compile=True)` (the configs' default).
  ours_xla_bf16  `ours_xla` under the `mixed_bfloat16` policy (not run unless
                 named in `--implementation`).
  keras_hub      `keras_hub.models.XLMRobertaMaskedLM`, compiled with AdamW and
                 keras-hub's default loss and metric, `jit_compile=False`,
                 `train_on_batch` (what `fit` runs per step); logits at the 20
                 mask positions.
  keras_hub_xla  the same, `jit_compile=True` (keras-hub's fastest setup).
  hf             transformers `XLMRobertaForMaskedLM` (PyTorch eager, default
                 attention), `torch.optim.AdamW`; labels -100 off target, so the
                 logits cover the full vocabulary at all 128 positions.

`--task=classify`: sentence classification from the first token (dense tanh
-> dense, `--num_classes`), one label per sequence: ours `XLMTextClassifier`
by `TrainStep`, keras-hub `XLMRobertaTextClassifier` by `train_on_batch`,
Hugging Face `XLMRobertaForSequenceClassification`.

Each implementation runs in its own process (its own runtime, thread pools
and allocator). The workers build their model and run `--warmup` untimed
steps (tracing, compilation, optimizer state, first-touch memory); then
`--steps` rounds each time one step of every worker in turn, after a short
pause that lets the previous one's threads go idle, so load from other
processes falls on all of them alike. Throughput: tokens (batch x sequence)
per second of the median step.

MFU = model FLOP/s / peak, the peak being the best float32 `tf.matmul` of
2048 x 2048 matrices, measured once per round in its own worker process
with the same threads. Model FLOPs per token of a training step (forward +
backward = 3 x forward):

  6 N  +  12 L T d  +  6 (d^2 + d O) P / T,  less in the last block
                                         (1 - Q / T) (6 (N_L - 2 d^2 - 2 d) + 12 T d)

  N         non-embedding parameters of the encoder (attention, feed-forward,
            LayerNorms), each used in one multiply-add per token;
  12 L T d  attention scores and their weighted sum (Q K^T and A V, 2 T d
            multiply-adds per token and layer forward; PaLM, appendix B);
  P, O      positions per sequence where the head runs and its outputs: the
            LM head's d x d dense and d x V tied projection at P = 20 (ours,
            keras-hub) or 128 (HF); the classifier's d x d dense and d x C
            output at P = 1.
  Q         positions per sequence where the last block computes its output
            (`XLMBackbone.sequence_output_at`): for ours Q = P (20 targets
            in MLM, the first token in classification), for the others T.
            Its key and value projections (2 d^2 + 2 d of its N_L = N / L
            parameters) still run at every position.
Embedding lookups, softmax, LayerNorms' arithmetic and the optimizer are not
counted. L layers, d hidden width, T sequence length, V vocabulary, C classes.
"""

import collections
import math
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import bench_common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from xlm_keras.models import XLMBackbone  # noqa: E402
from xlm_keras.models import XLMMaskedLM  # noqa: E402
from xlm_keras.models import XLMTextClassifier  # noqa: E402
from xlm_keras.models import presets  # noqa: E402
from xlm_keras.training.optimizer import create_optimizer  # noqa: E402
from xlm_keras.training.train_step import TrainStep  # noqa: E402

IMPLEMENTATIONS = ("ours", "ours_xla", "ours_xla_bf16", "keras_hub", "keras_hub_xla", "hf")
DEFAULT_IMPLEMENTATIONS = ("ours", "ours_xla", "keras_hub", "keras_hub_xla", "hf")
TASKS = ("mlm", "classify")
PEAK_WORKER = "matmul"  # The worker that only measures the matmul peak.
REPLY = "BENCH "  # Prefix of a worker's answers on stdout (libraries may print too).
LEARNING_RATE = 1e-4
WEIGHT_DECAY = 0.01
MATMUL_SIZE = 2048
SETTLE_SECONDS = 0.2  # Pause before each timed step (OpenMP / Eigen workers spin a while).
FIRST_WORD_ID = 5  # Ids 0-4 are <s>, <pad>, </s>, <unk>, <mask> in every tokenizer here.

_TASK = flags.DEFINE_enum("task", "mlm", TASKS, "MLM pretraining or classification fine-tuning.")
_STEPS = flags.DEFINE_integer("steps", 5, "Timed rounds (one step of each implementation).")
_WARMUP = flags.DEFINE_integer("warmup", 2, "Untimed steps first (tracing, compilation).")
_THREADS = flags.DEFINE_integer(
    "threads", 0, "Intra-op threads of TensorFlow and PyTorch alike; 0: all cores."
)
# Shape flags besides bench_common's num_layers, hidden_dim, num_heads and vocabulary_size.
flags.DEFINE_integer("intermediate_dim", 2048, "Feed-forward width.")
flags.DEFINE_integer("sequence_length", 128, "Tokens per sequence.")
flags.DEFINE_integer("batch_size", 16, "Sequences per step.")
flags.DEFINE_float("mask_rate", 0.15, "Share of each sequence that is a target.")
_NUM_CLASSES = flags.DEFINE_integer("num_classes", 3, "Classes of --task=classify.")
_IMPLEMENTATION = flags.DEFINE_list(
    "implementation", list(DEFAULT_IMPLEMENTATIONS), f"Which to run, of {IMPLEMENTATIONS}."
)
_WORKER = flags.DEFINE_string(
    "worker", None, "Internal: serve one implementation's steps on stdin/stdout."
)
flags.register_validator(
    "implementation",
    lambda names: set(names) <= set(IMPLEMENTATIONS),
    f"--implementation takes a comma list of {IMPLEMENTATIONS}.",
)


class Shape(
    collections.namedtuple(
        "Shape",
        "num_layers hidden_dim num_heads intermediate_dim sequence_length "
        "batch_size vocabulary_size mask_rate",
    )
):
    """The benchmark's shape; its fields are the flags of the same names."""

    @property
    def num_targets(self):
        """`ceil(mask_rate * sequence_length)`, `mask_tokens`' target width
        (20 of 128 at 15 %)."""
        return max(1, math.ceil(round(self.mask_rate * self.sequence_length, 6)))


def set_threads(threads):
    """The same intra-op thread count for TensorFlow and PyTorch (call before
    TensorFlow's runtime starts); returns it."""
    import torch

    threads = threads or os.cpu_count()
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    torch.set_num_threads(threads)
    return threads


def make_batch(shape, num_classes, seed=0):
    """One batch as numpy arrays, the same for every implementation.

    Returns: dict with token_ids int32 [batch, seq] (MLM targets replaced by
    the last id, standing for `<mask>`), padding_mask int32 [batch, seq] (all
    1), mask_positions int32 [batch, targets] (ascending, never the first or
    last position), labels int32 [batch, targets] (the original ids) and
    classes int32 [batch] (in [0, num_classes)).
    """
    rng = np.random.default_rng(seed)
    batch, length = shape.batch_size, shape.sequence_length
    original = rng.integers(FIRST_WORD_ID, shape.vocabulary_size, (batch, length), np.int32)
    positions = np.sort(
        np.stack(
            [
                rng.choice(np.arange(1, length - 1), shape.num_targets, replace=False)
                for _ in range(batch)
            ]
        ),
        axis=1,
    ).astype(np.int32)
    labels = np.take_along_axis(original, positions, axis=1)
    token_ids = original.copy()
    np.put_along_axis(token_ids, positions, shape.vocabulary_size - 1, axis=1)
    return {
        "token_ids": token_ids,
        "padding_mask": np.ones_like(token_ids),
        "mask_positions": positions,
        "labels": labels,
        "classes": rng.integers(0, num_classes, batch).astype(np.int32),
    }


def non_embedding_params(shape):
    """Encoder parameters outside the embedding tables (weights and biases
    of attention and feed-forward, LayerNorm scales and offsets)."""
    d, f = shape.hidden_dim, shape.intermediate_dim
    attention = 4 * (d * d + d)
    feed_forward = 2 * d * f + f + d
    layer_norms = 2 * 2 * d
    return shape.num_layers * (attention + feed_forward + layer_norms)


def flops_per_token(shape, head_positions, head_outputs=None, last_block_positions=None):
    """Model FLOPs per token of one training step (see the module docstring);
    `head_positions`: positions per sequence where the head runs;
    `head_outputs`: its output width (default: the vocabulary, the LM head);
    `last_block_positions`: where the last block computes its output
    (default: every position)."""
    d, length = shape.hidden_dim, shape.sequence_length
    outputs = shape.vocabulary_size if head_outputs is None else head_outputs
    head = 6 * (d * d + d * outputs) * head_positions / length
    params = non_embedding_params(shape)
    skipped = 1 - (length if last_block_positions is None else last_block_positions) / length
    last_block_queries = params / shape.num_layers - 2 * (d * d + d)
    return (
        6 * params
        + 12 * shape.num_layers * length * d
        + head
        - skipped * (6 * last_block_queries + 12 * length * d)
    )


def head_of(name, task, shape, num_classes):
    """`(positions, outputs, last_block_positions)` of implementation
    `name`'s head and last block (FLOP count)."""
    length = shape.sequence_length
    ours = name.startswith("ours")
    if task == "classify":
        return 1, num_classes, 1 if ours else length
    return (
        (length if name == "hf" else shape.num_targets),
        shape.vocabulary_size,
        shape.num_targets if ours else length,
    )


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
    return 2 * size**3 / best / 1e9


def backbone_config(shape):
    """Our `XLMBackbone` arguments for `shape` (XLM-R layout)."""
    return dict(
        presets.backbone_config("xlm_roberta_base", load_weights=False),
        vocabulary_size=shape.vocabulary_size,
        num_layers=shape.num_layers,
        hidden_dim=shape.hidden_dim,
        num_heads=shape.num_heads,
        intermediate_dim=shape.intermediate_dim,
        max_sequence_length=shape.sequence_length,
    )


def ours_step(task, shape, batch, num_classes, jit_compile):
    """One training step of our task through `TrainStep`."""
    keras.utils.set_random_seed(0)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        backbone = XLMBackbone(**backbone_config(shape))
        if task == "mlm":
            model = XLMMaskedLM(backbone, compile=False)
        else:
            model = XLMTextClassifier(backbone, num_classes)
        optimizer = create_optimizer(
            LEARNING_RATE, warmup_steps=1, total_steps=10**6, weight_decay=WEIGHT_DECAY
        )
        step_fn = TrainStep(strategy, model, optimizer, num_languages=1, jit_compile=jit_compile)
    names = ("token_ids", "padding_mask") + (("mask_positions",) if task == "mlm" else ())
    labels = batch["labels"] if task == "mlm" else batch["classes"]
    element = {
        "x": {name: batch[name] for name in names},
        "labels": labels,
        "sample_weight": np.ones(labels.shape, np.float32),
        "language": np.zeros([shape.batch_size], np.int32),
    }
    cached = tf.data.Dataset.from_tensors(element).repeat()
    iterator = iter(strategy.distribute_datasets_from_function(lambda context: cached))
    one = tf.constant(1)
    return lambda: step_fn.run(iterator, one)["tokens"].numpy()


def keras_hub_step(task, shape, batch, num_classes, jit_compile):
    """One `train_on_batch` of keras-hub's compiled task (its default loss
    and metrics)."""
    import keras_hub

    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.XLMRobertaBackbone(
        vocabulary_size=shape.vocabulary_size,
        num_layers=shape.num_layers,
        num_heads=shape.num_heads,
        hidden_dim=shape.hidden_dim,
        intermediate_dim=shape.intermediate_dim,
        max_sequence_length=shape.sequence_length,
    )
    names = ("token_ids", "padding_mask")
    if task == "mlm":
        model = keras_hub.models.XLMRobertaMaskedLM(backbone, preprocessor=None)
        names += ("mask_positions",)
        y = tf.constant(batch["labels"])
    else:
        model = keras_hub.models.XLMRobertaTextClassifier(backbone, num_classes, preprocessor=None)
        y = tf.constant(batch["classes"])
    model.compile(
        optimizer=keras.optimizers.AdamW(LEARNING_RATE, weight_decay=WEIGHT_DECAY),
        jit_compile=jit_compile,
    )
    x = {name: tf.constant(batch[name]) for name in names}
    weights = tf.ones(y.shape)
    return lambda: model.train_on_batch(x, y, sample_weight=weights)


def hf_step(task, shape, batch, num_classes):
    """One training step of Hugging Face's XLM-R task (PyTorch eager)."""
    import torch
    import transformers

    torch.manual_seed(0)
    config = bench_common.hf_xlmr_config(
        shape.num_layers,
        shape.hidden_dim,
        shape.num_heads,
        shape.vocabulary_size,
        shape.sequence_length,
        intermediate_size=shape.intermediate_dim,
        layer_norm_eps=1e-5,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        num_labels=num_classes,
    )
    if task == "mlm":
        model = transformers.XLMRobertaForMaskedLM(config).train()
        labels = np.full(batch["token_ids"].shape, -100, np.int64)
        np.put_along_axis(labels, batch["mask_positions"], batch["labels"], axis=1)
    else:
        model = transformers.XLMRobertaForSequenceClassification(config).train()
        labels = batch["classes"].astype(np.int64)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    inputs = {
        "input_ids": torch.from_numpy(batch["token_ids"].astype(np.int64)),
        "attention_mask": torch.from_numpy(batch["padding_mask"].astype(np.int64)),
        "labels": torch.from_numpy(labels),
    }

    def step():
        model(**inputs).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def build_step(name, task, shape, batch, num_classes):
    """A function that runs one training step of implementation `name`."""
    if name.startswith("ours"):
        return ours_step(task, shape, batch, num_classes, jit_compile=name != "ours")
    if name in ("keras_hub", "keras_hub_xla"):
        return keras_hub_step(task, shape, batch, num_classes, jit_compile=name == "keras_hub_xla")
    return hf_step(task, shape, batch, num_classes)


def serve(name, task, shape, num_classes, warmup):
    """Worker: build `name` (or nothing for the matmul peak), run `warmup`
    steps, say `ready`; then answer each `step` line on stdin with the
    seconds of one step and each `peak` line with the matmul GFLOP/s."""
    if name.endswith("_bf16"):
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    if name != PEAK_WORKER:
        step = build_step(name, task, shape, make_batch(shape, num_classes), num_classes)
        for _ in range(warmup):
            step()
    print(REPLY + "ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "peak":
            print(f"{REPLY}{matmul_peak_gflops()}", flush=True)
        else:
            start = time.perf_counter()
            step()
            print(f"{REPLY}{time.perf_counter() - start}", flush=True)


class Worker:
    """This script serving one implementation in a child process."""

    def __init__(self, name, argv):
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), f"--worker={name}", *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, request=None):
        """Send `request` (if any); returns the next reply."""
        if request:
            self.process.stdin.write(request + "\n")
            self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(REPLY):
                return line[len(REPLY) :].strip()
        raise RuntimeError(
            f"Worker {self.name} exited with {self.process.wait()}; its error is on stderr above."
        )

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def run(implementations, steps, argv):
    """Start a worker per implementation (and one for the peak), wait until
    all are warm, then time `steps` interleaved rounds.

    Returns: the peak GFLOP/s (best over rounds) and dict name -> list of
    step seconds.
    """
    names = sorted(implementations, key=IMPLEMENTATIONS.index)
    workers = [Worker(name, argv) for name in [PEAK_WORKER] + names]
    try:
        for worker in workers:
            worker.ask()
        peak, timings = 0.0, {name: [] for name in names}
        for _ in range(steps):
            peak = max(peak, float(workers[0].ask("peak")))
            for worker in workers[1:]:
                time.sleep(SETTLE_SECONDS)
                timings[worker.name].append(float(worker.ask("step")))
    finally:
        for worker in workers:
            worker.close()
    return peak, timings


def rows_of(peak, timings, task, shape, num_classes):
    """One row per implementation from the median of its timings."""
    tokens = shape.batch_size * shape.sequence_length
    rows = []
    for name, seconds in timings.items():
        seconds = statistics.median(seconds)
        positions, outputs, last_block = head_of(name, task, shape, num_classes)
        model_flops = flops_per_token(shape, positions, outputs, last_block) * tokens / seconds
        rows.append(
            {
                "implementation": name,
                "tokens_per_second": tokens / seconds,
                "seconds_per_step": seconds,
                "head_positions": positions,
                "gflops": model_flops / 1e9,
                "mfu": model_flops / 1e9 / peak,
            }
        )
    return rows


def format_table(peak, rows, task, shape, threads):
    """A Markdown table of the rows, speeds relative to keras-hub's XLA setup
    and to Hugging Face (where they ran)."""
    speed = {row["implementation"]: row["tokens_per_second"] for row in rows}
    task_line = (
        f"MLM, {shape.num_targets} targets per sequence" if task == "mlm" else "classification"
    )
    lines = [
        f"{task_line}: {shape.num_layers} layers x {shape.hidden_dim} ({shape.num_heads} "
        f"heads, intermediate {shape.intermediate_dim}), vocabulary {shape.vocabulary_size}, "
        f"batch {shape.batch_size} x {shape.sequence_length}, {threads} threads; "
        f"float32 matmul peak {peak:.1f} GFLOP/s",
        "| implementation | tokens/s | median s/step | vs keras_hub_xla | vs hf "
        "| head at | model GFLOP/s | MFU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        ratios = [
            f"{row['tokens_per_second'] / speed[other]:.2f}x" if other in speed else "-"
            for other in ("keras_hub_xla", "hf")
        ]
        lines.append(
            f"| {row['implementation']} | {row['tokens_per_second']:,.0f} | "
            f"{row['seconds_per_step']:.3f} | {' | '.join(ratios)} | "
            f"{row['head_positions']} positions | {row['gflops']:.1f} | "
            f"{100 * row['mfu']:.1f} % |"
        )
    return "\n".join(lines)


def main(argv):
    del argv
    threads = set_threads(_THREADS.value)
    shape = Shape(*(flags.FLAGS[name].value for name in Shape._fields))
    if _WORKER.value:
        serve(_WORKER.value, _TASK.value, shape, _NUM_CLASSES.value, _WARMUP.value)
        return
    # The workers get this run's flags (all but the implementation list).
    names = ("task", "warmup", "threads", "num_classes", *Shape._fields)
    argv = [flags.FLAGS[name].serialize() for name in names]
    peak, timings = run(_IMPLEMENTATION.value, _STEPS.value, argv)
    rows = rows_of(peak, timings, _TASK.value, shape, _NUM_CLASSES.value)
    print(format_table(peak, rows, _TASK.value, shape, threads))


if __name__ == "__main__":
    app.run(main)
