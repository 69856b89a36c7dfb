"""`XLMSeq2SeqLM` decoding at inference: one target token per step over
per-layer key/value caches, in few graph ops.

The same weights and arithmetic as the Keras decoder blocks (keras-hub
`TransformerDecoder`, post-LN or pre-LN) and output heads, written for the
shapes of a decoding step:

- the self-attention's query, key and value kernels are fused into one
  [H, 3H] matrix (one 2-D `MatMul` per block and step);
- each block keeps its own caches ([rows, heads, length, head_dim]), so
  no cache is sliced out of or stacked back into a larger one; attention
  multiplies them as 3-D [rows * heads, length, head_dim] batches;
- the encoder's keys and values are projected once per request, for all
  blocks in one matmul;
- the vocabulary projection multiplies the token table [V, H] by the
  hidden states' transpose, which reads the table in its stored layout
  (`h @ E^T` with `transpose_b` is about 2x slower on CPU).

Weights are read (fused, cast to the compute dtype) when a `CachedDecoder`
is made, which `generate_step` does once per traced call, outside its loop:
once per request in a graph. An export fuses them once instead
(`DecodingWeights`, saved as variables; about 30 MB of copies a request
less in the 6 + 6 x 512 layout) and also stores the token table transposed,
[H, V]: `x @ E^T` from that layout reads the table 2.5x faster than `E @ x^T`
for 1 to 4 rows (greedy or beam 4 at batch 1) and as fast for 32.
LayerNorms compute in float32.
"""

import tensorflow as tf

from xlm_keras.keras_hub_internals import attention_parts
from xlm_keras.keras_hub_internals import block_sublayers
from xlm_keras.keras_hub_internals import lm_head_parts
from xlm_keras.layers import XLMPredictionHead
from xlm_keras.layers.encoder_block import MASKED
from xlm_keras.layers.encoder_block import activation_of
from xlm_keras.layers.encoder_block import attention_dense
from xlm_keras.layers.encoder_block import dense
from xlm_keras.layers.encoder_block import layer_norm


class CachedDecoder:
    """Cached decoding steps of one `XLMSeq2SeqLM`.

    Args:
        model: `XLMSeq2SeqLM`.

    Caches (tuples with one entry per decoder block, batch axis first):
        self cache: `(keys, values)` per block, each [rows, heads,
            max_length, head_dim].
        cross cache: `(keys, values)` per block, each [rows, heads,
            source_len, head_dim].
    """

    def __init__(self, model, weights=None):
        backbone = model.backbone
        self.backbone = backbone
        self.dtype = model.compute_dtype if weights is None else weights.dtype
        attention = attention_parts(block_sublayers(backbone.decoder_layers[0]).self_attention)
        self.num_heads, self.head_dim = attention.num_heads, attention.head_dim
        self.width = self.num_heads * self.head_dim
        fused = fused_weights(model) if weights is None else weights.tensors
        self.blocks = [
            {**self._block_parts(layer), **fused[block_key(i)]}
            for i, layer in enumerate(backbone.decoder_layers)
        ]
        self.cross_projection = fused[CROSS_PROJECTION]
        self.head = {**self._head_parts(model.output_head), **fused[HEAD]}

    def cross_cache(self, encoder_rows, layout):
        """Per block (keys, values) of the encoder output as rows float
        [N, H] with their `TokenLayout` (`XLMSeq2SeqLM.call_encoder`): one
        matmul, one scatter and one transpose for all blocks."""
        projected = layout.grid(dense(tf.cast(encoder_rows, self.dtype), *self.cross_projection))
        count = 2 * len(self.blocks)
        projected = tf.reshape(
            projected, [layout.batch, layout.length, count, self.num_heads, self.head_dim]
        )
        pieces = tf.unstack(tf.transpose(projected, [2, 0, 3, 1, 4]), num=count)
        return tuple(zip(pieces[0::2], pieces[1::2]))

    def empty_self_cache(self, rows, max_length):
        """Per block zero (keys, values) for `max_length` positions."""
        zeros = tf.zeros([rows, self.num_heads, max_length, self.head_dim], self.dtype)
        return tuple((zeros, zeros) for _ in self.blocks)

    def step(self, token_ids, position, self_cache, cross_cache, key_mask, language_ids=None):
        """The next-token logits of `token_ids` int [rows, 1] at `position`.

        Args:
            position: int scalar; the self cache holds positions `< position`.
            key_mask: float [rows, 1, 1, S], 0 at source tokens and `MASKED`
                at padding.
            language_ids: int [rows, 1] for models with language embeddings.

        Returns: (logits [rows, vocab], hidden [rows, H], new self cache).
        """
        position = tf.cast(position, tf.int32)
        x = self.backbone.embed_decoder_tokens(
            token_ids, position_ids=tf.reshape(position, [1, 1]), language_ids=language_ids
        )
        x = tf.cast(tf.reshape(x, [-1, self.backbone.hidden_dim]), self.dtype)
        max_length = tf.shape(self_cache[0][1])[2]
        # [max_length, 1]: the cache slot this step writes (one select over the
        # cache: cheaper on CPU than a dynamic-update-slice kernel launch).
        at_position = tf.equal(tf.range(max_length), position)[:, None]
        # [max_length]: keys after `position` are not written yet.
        causal_mask = tf.where(tf.range(max_length) <= position, 0.0, MASKED)
        causal_mask = tf.cast(causal_mask, self.dtype)
        # [rows * heads, 1, S], as `_attend`'s scores.
        source_length = tf.shape(key_mask)[-1]
        key_mask = tf.broadcast_to(
            tf.cast(key_mask, self.dtype), [tf.shape(x)[0], self.num_heads, 1, source_length]
        )
        key_mask = tf.reshape(key_mask, [-1, 1, source_length])
        new_cache = []
        for block, layer_self, layer_cross in zip(self.blocks, self_cache, cross_cache):
            x, layer_self = self._block(
                block, x, at_position, layer_self, layer_cross, causal_mask, key_mask
            )
            new_cache.append(layer_self)
        if self.backbone.decoder_final_layer_norm is not None:
            x = self._layer_norm(x, self.backbone.decoder_final_layer_norm)
        return self._logits(x), x, tuple(new_cache)

    def _block(self, block, x, at_position, self_cache, cross_cache, causal_mask, key_mask):
        """One decoder block on x [rows, H] -> (x, its new self cache)."""
        first = block["normalize_first"]
        residual = x
        if first:
            x = self._layer_norm(x, block["self_norm"])
        query, key, value = tf.split(dense(x, *block["qkv"]), 3, axis=-1)
        keys = tf.where(at_position, self._heads(key), self_cache[0])
        values = tf.where(at_position, self._heads(value), self_cache[1])
        x = self._attend(query, keys, values, causal_mask, block["self_output"]) + residual
        if not first:
            x = self._layer_norm(x, block["self_norm"])

        residual = x
        if first:
            x = self._layer_norm(x, block["cross_norm"])
        query = dense(x, *block["cross_query"])
        x = self._attend(query, *cross_cache, key_mask, block["cross_output"]) + residual
        if not first:
            x = self._layer_norm(x, block["cross_norm"])

        residual = x
        if first:
            x = self._layer_norm(x, block["ffn_norm"])
        x = dense(block["activation"](dense(x, *block["ffn_in"])), *block["ffn_out"]) + residual
        if not first:
            x = self._layer_norm(x, block["ffn_norm"])
        return x, (keys, values)

    def _attend(self, query, keys, values, mask, output):
        """Attention of query [rows, H] over keys and values [rows, heads,
        length, head_dim] with an additive `mask` broadcasting to [rows *
        heads, 1, length]; the output projection of the mixed heads, [rows, H]."""
        # 3-D products over rows * heads (4-D batch matmuls are slower on CPU).
        length = tf.shape(keys)[2]
        keys = tf.reshape(keys, [-1, length, self.head_dim])
        values = tf.reshape(values, [-1, length, self.head_dim])
        # Keras scales the query before the product; the same order, the same round-off.
        query = tf.reshape(query, [-1, 1, self.head_dim]) * self._inverse_sqrt_head_dim
        weights = tf.nn.softmax(tf.matmul(query, keys, transpose_b=True) + mask)
        mixed = tf.reshape(tf.matmul(weights, values), [-1, self.width])
        return dense(mixed, *output)

    def _heads(self, x):
        """[rows, H] -> [rows, heads, 1, head_dim]."""
        return tf.reshape(x, [-1, self.num_heads, 1, self.head_dim])

    def _logits(self, x):
        """Vocabulary logits [rows, vocab] of x [rows, H]."""
        head = self.head
        if head["dense"] is not None:
            x = head["activation"](dense(x, *head["dense"]))
            x = self._layer_norm(x, head["norm"])
        if "table_transposed" in head:  # [H, V], made at export.
            logits = tf.matmul(x, head["table_transposed"])
        else:  # (E @ x^T)^T reads the [V, H] table in its stored layout.
            logits = tf.transpose(tf.matmul(head["table"], x, transpose_b=True))
        return logits + head["bias"]

    def _layer_norm(self, x, layer):
        return tf.cast(layer_norm(tf.cast(x, tf.float32), layer), self.dtype)

    @property
    def _inverse_sqrt_head_dim(self):
        return tf.cast(1.0 / self.head_dim**0.5, self.dtype)

    def _block_parts(self, layer):
        """The norms, activation and layout of one `TransformerDecoder`."""
        parts = block_sublayers(layer)
        return {
            "normalize_first": layer.normalize_first,
            "self_norm": parts.self_attention_norm,
            "cross_norm": parts.cross_attention_norm,
            "activation": activation_of(parts.feedforward_intermediate),
            "ffn_norm": parts.feedforward_norm,
        }

    def _head_parts(self, head):
        """The output head's activation and LayerNorm (XLM-R's head)."""
        if isinstance(head, XLMPredictionHead):
            return {"dense": None}
        parts = lm_head_parts(head)
        return {"activation": activation_of(parts.dense), "norm": parts.norm}


# Keys of `fused_weights` besides the blocks' (`block_key`).
CROSS_PROJECTION, HEAD = "cross_projection", "head"


def block_key(index):
    """The `fused_weights` key of decoder block `index` (a string: saved
    modules name their children by string keys)."""
    return f"block_{index}"


def block_projections(layer):
    """One `TransformerDecoder`'s dense layers (attention `EinsumDense`s and
    feed-forward `Dense`s), grouped by the fused (kernel, bias) they make:
    the groups' kernels are concatenated along their output axis. The one
    list both `fused_weights` and `fused_sources` read."""
    parts = block_sublayers(layer)
    attention = attention_parts(parts.self_attention)
    cross = attention_parts(parts.cross_attention)
    return {
        "qkv": (attention.query, attention.key, attention.value),
        "self_output": (attention.output,),
        "cross_query": (cross.query,),
        "cross_output": (cross.output,),
        "cross_key_value": (cross.key, cross.value),
        "ffn_in": (parts.feedforward_intermediate,),
        "ffn_out": (parts.feedforward_output,),
    }


def fused_weights(model, transposed_table=False, dtype=None):
    """The tensors `CachedDecoder` multiplies, fused and cast to `dtype`
    (default the compute dtype): per block i, `{block_key(i): {"qkv",
    "self_output", "cross_query", "cross_output", "ffn_in", "ffn_out"}}`
    of (kernel [in, out], bias [out]); `CROSS_PROJECTION`: every block's
    cross-attention key and value kernels, (kernel [H, blocks * 2 * width],
    bias); `HEAD`: the tied token table [V, H] (or, with
    `transposed_table`, "table_transposed" [H, V]), the output bias and
    XLM-R's head dense."""
    dtype = dtype or model.compute_dtype

    def cast(*weights):
        return tuple(tf.cast(weight, dtype) for weight in weights)

    def fuse(layers):
        # `attention_dense` leaves a Dense's 2-D kernel and bias as they are.
        projections = [cast(*attention_dense(layer)) for layer in layers]
        return tuple(tf.concat(weights, axis=-1) for weights in zip(*projections))

    fused = {}
    keys_and_values = []
    for i, layer in enumerate(model.backbone.decoder_layers):
        groups = block_projections(layer)
        keys_and_values += groups.pop("cross_key_value")
        fused[block_key(i)] = {name: fuse(layers) for name, layers in groups.items()}
    fused[CROSS_PROJECTION] = fuse(keys_and_values)
    (table,) = cast(model.backbone.token_embedding.embeddings)
    head = model.output_head
    fused[HEAD] = (
        {"table_transposed": tf.transpose(table)} if transposed_table else {"table": table}
    )
    if isinstance(head, XLMPredictionHead):
        fused[HEAD]["bias"] = cast(head.bias)[0]
    else:
        parts = lm_head_parts(head)
        fused[HEAD].update(
            dense=cast(parts.dense.kernel, parts.dense.bias), bias=cast(parts.bias)[0]
        )
    return fused


def fused_sources(model):
    """The variables `fused_weights` copies that decoding reads nowhere else
    (not the token table, which also embeds the tokens): an export that has
    `DecodingWeights` need not save them again."""
    sources = [
        weight
        for layer in model.backbone.decoder_layers
        for group in block_projections(layer).values()
        for projection in group
        for weight in (projection.kernel, projection.bias)
    ]
    head = model.output_head
    if isinstance(head, XLMPredictionHead):
        return sources + [head.bias]
    parts = lm_head_parts(head)
    return sources + [parts.dense.kernel, parts.dense.bias, parts.bias]


class DecodingWeights(tf.Module):
    """`fused_weights(model, transposed_table=True)` as variables: fused
    once, when an export is made, and saved with it, so that a request
    reads them as they are. `CachedDecoder(model, weights)` uses them.

    Args:
        model: `XLMSeq2SeqLM`.
        dtype: the dtype decoding multiplies in (default the compute
            dtype). "bfloat16" halves the bytes each step reads (the
            decoder blocks and the output table; LayerNorms stay float32,
            the encoder keeps the model's dtype); it is faster only where
            the CPU multiplies bfloat16 natively (AVX512-BF16, AMX).
    """

    def __init__(self, model, dtype=None):
        super().__init__(name="decoding_weights")
        self.dtype = dtype or model.compute_dtype
        self.tensors = tf.nest.map_structure(
            lambda value: tf.Variable(value, trainable=False),
            fused_weights(model, transposed_table=True, dtype=self.dtype),
        )
