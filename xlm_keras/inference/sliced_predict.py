"""Python inference on packed rows in length-sorted slices: what the
serving signatures do (`length_slices`), for `predict` on raw text and
`encode_sentences`.

Packed rows come padded to the preprocessor's `sequence_length` (128 or
512), most of it `<pad>`; here each chunk of `batch_size` rows is cut to
its longest row, sorted by length and run in slices of at most
`TOKENS_PER_SLICE` padded tokens, so the outputs are those of one padded
batch (to float round-off) for a fraction of the work.
"""

import weakref

import numpy as np
import tensorflow as tf

from xlm_keras.inference.length_slices import map_length_slices

# model -> {(fn, per_token, input names): tf.function}; a model's traces
# go with it.
_FUNCTIONS = weakref.WeakKeyDictionary()


def sliced_predict(model, fn, inputs, batch_size=32, per_token=False):
    """`fn(model, inputs)` over `inputs` in chunks and length-sorted slices.

    Args:
        model: the Keras model `fn` runs (the key of the traced function).
        fn: `(model, dict of int32 [b, t]) -> float32 [b, ...]` (or
            [b, t, ...] with `per_token`); rows must not influence each
            other. A module-level function: its identity keys the trace.
        inputs: dict of int [N, T] packed model inputs with `padding_mask`,
            real tokens first.
        batch_size: int >= 1. Rows per call of the traced function.
        per_token: whether outputs have a token axis (padded back to T
            with zeros).

    Returns: numpy float32 [N, ...] (or [N, T, ...]) in the order of `inputs`.
    """
    inputs = {name: np.asarray(value, np.int32) for name, value in inputs.items()}
    names = tuple(sorted(inputs))
    traced = _FUNCTIONS.setdefault(model, {})
    key = (fn, per_token, names)
    if key not in traced:
        specs = {name: tf.TensorSpec([None, None], tf.int32, name=name) for name in names}
        model_ref = weakref.ref(model)  # The cache must not keep the model alive.
        traced[key] = tf.function(
            lambda x: map_length_slices(lambda rows: fn(model_ref(), rows), x, per_token),
            input_signature=[specs],
            autograph=False,
        )
    rows, full_length = inputs["padding_mask"].shape
    chunks = []
    for start in range(0, rows, batch_size):
        chunk = {name: value[start : start + batch_size] for name, value in inputs.items()}
        # Cut to the chunk's longest row: the slices pad no further.
        length = max(int(chunk["padding_mask"].sum(axis=1).max()), 1)
        output = traced[key]({name: value[:, :length] for name, value in chunk.items()}).numpy()
        if per_token:
            pad = [(0, 0), (0, full_length - length)] + [(0, 0)] * (output.ndim - 2)
            output = np.pad(output, pad)
        chunks.append(output)
    if not chunks:  # No rows: nothing traced knows fn's output shape.
        raise ValueError("Nothing to predict: got 0 texts. Pass at least one.")
    return np.concatenate(chunks)


def model_outputs(model, inputs):
    """float32: the model's outputs at inference (a task's logits)."""
    return tf.cast(model(inputs, training=False), tf.float32)
