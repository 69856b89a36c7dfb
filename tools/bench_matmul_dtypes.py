"""Whether this CPU multiplies faster in reduced precision with the ops a
stock TF Serving runs: float32 `MatMul` against bfloat16 `MatMul` and
8-bit `QuantizedMatMul` (quint8 x quint8 -> qint32, with the activation's
quantisation and the dequantisation it needs), at the shapes of one
decoding step of the 6 + 6 x 512 benchmark translator.

  python tools/bench_matmul_dtypes.py
  python tools/bench_matmul_dtypes.py --rows=1,21,32 --repeats=50

For each row count and weight shape ([512, 1536] fused query/key/value,
[512, 2048] and [2048, 512] feed-forward, [512, 32000] output table)
prints the median milliseconds a product of each kind takes (8 distinct
products a call, so that the call's overhead is shared) over `--repeats`
calls, the float32 rate and each kind's ratio to float32 (below 1 is
faster). A reduced-precision export pays off only where these ratios are
well below 1.
"""

import time

import numpy as np
import tensorflow as tf
from absl import app
from absl import flags

_ROWS = flags.DEFINE_list("rows", ["1", "32"], "Rows per product (batch x beams).")
_REPEATS = flags.DEFINE_integer("repeats", 30, "Timed calls per product.", lower_bound=1)

SHAPES = ((512, 1536), (512, 2048), (2048, 512), (512, 32000))
PRODUCTS_PER_CALL = 8


def median_ms(fn, repeats):
    """Median milliseconds of `fn()` over `repeats` calls, after one untimed."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def products(rows, depth, width, count=PRODUCTS_PER_CALL):
    """{kind: tf.function()}: the sum of `count` products x_i [rows, depth]
    @ w [depth, width] (distinct x_i, so none is computed once for all), so
    that a call's overhead is shared by `count` products."""
    rng = np.random.default_rng(0)
    xs = [tf.constant(rng.standard_normal([rows, depth]), tf.float32) for _ in range(count)]
    w = tf.Variable(rng.standard_normal([depth, width]) * 0.05, dtype=tf.float32)
    w_bfloat16 = tf.Variable(tf.cast(w, tf.bfloat16))
    w_quantized, w_min, w_max = tf.quantization.quantize(w, -0.25, 0.25, tf.quint8)
    w_quantized = tf.Variable(w_quantized)

    def quantized(x):
        x_quantized, x_min, x_max = tf.quantization.quantize(
            x, tf.reduce_min(x), tf.reduce_max(x), tf.quint8
        )
        y, y_min, y_max = tf.raw_ops.QuantizedMatMul(
            a=x_quantized,
            b=w_quantized,
            min_a=x_min,
            max_a=x_max,
            min_b=w_min,
            max_b=w_max,
            Toutput=tf.qint32,
        )
        return tf.quantization.dequantize(y, y_min, y_max)

    kinds = {
        "float32": lambda x: tf.matmul(x, w),
        "bfloat16": lambda x: tf.cast(tf.matmul(tf.cast(x, tf.bfloat16), w_bfloat16), tf.float32),
        "int8": quantized,
    }
    return {
        kind: tf.function(lambda product=product: tf.add_n([product(x) for x in xs]))
        for kind, product in kinds.items()
    }


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    print(
        "| rows | weight | float32 ms | float32 GFLOP/s | bfloat16 ms (x float32) "
        "| int8 ms (x float32) |"
    )
    print("|---:|---|---:|---:|---:|---:|")
    for rows in (int(r) for r in _ROWS.value):
        for depth, width in SHAPES:
            times = {
                kind: median_ms(lambda fn=fn: fn().numpy(), _REPEATS.value) / PRODUCTS_PER_CALL
                for kind, fn in products(rows, depth, width).items()
            }
            base = times["float32"]
            rate = 2 * rows * depth * width / base / 1e6
            print(
                f"| {rows} | [{depth}, {width}] | {base:.3f} | {rate:.0f} "
                f"| {times['bfloat16']:.3f} ({times['bfloat16'] / base:.2f}x) "
                f"| {times['int8']:.3f} ({times['int8'] / base:.2f}x) |"
            )


if __name__ == "__main__":
    app.run(main)
