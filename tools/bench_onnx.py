"""ONNX Runtime as a peer of tools/bench_serving.py: a Hugging Face
`XLMRobertaModel` (bench_serving's preset through `export_transformers`)
written to ONNX, fused by ONNX Runtime's BERT optimizer
and checked against Hugging Face (`prepare_onnx`), and strings -> masked
mean embeddings from an ONNX Runtime CPU session, one run per batch padded
to its longest row or per slice of rows sorted by length (`onnx_call`).

No flags: bench_serving.py imports it as a neighbour (`import bench_onnx`)
and passes it its flags' values.
"""

import os

import bench_common

ONNX_INPUTS = ("input_ids", "attention_mask")
# Padded tokens per slice of the length-sorted ONNX Runtime path: that of
# xlm_keras/inference/length_slices.py (not imported: no TensorFlow there).
TOKENS_PER_SLICE = 256
# Largest |ONNX Runtime - Hugging Face| accepted in `last_hidden_state`.
ONNX_TOLERANCE = 1e-4


def numpy_batch(tokenizer, texts, max_length):
    """dict of int64 [B, T] `input_ids` and `attention_mask`:
    `bench_common.hf_batch` in NumPy (no PyTorch)."""
    batch = tokenizer(
        texts, padding="longest", truncation=True, max_length=max_length, return_tensors="np"
    )
    return {name: batch[name] for name in ONNX_INPUTS}


def masked_mean(hidden, attention_mask):
    """float32 [B, H]: the mean of `hidden` (float32 [B, T, H]) over the
    real tokens of `attention_mask` (int [B, T])."""
    mask = attention_mask[..., None].astype(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1)


def length_slices(lengths, tokens_per_slice):
    """[int64 [b]]: the rows of `lengths` (int [B]) by ascending length, cut
    into consecutive slices of the most rows whose count times the slice's
    longest row fits `tokens_per_slice`, at least one (`slice_end` of
    xlm_keras/inference/length_slices.py)."""
    import numpy as np

    order = np.argsort(lengths, kind="stable")
    slices, start = [], 0
    while start < len(order):
        counts = np.arange(1, len(order) - start + 1)
        fits = counts * lengths[order[start:]] <= tokens_per_slice
        end = start + max(int(fits.sum()), 1)
        slices.append(order[start:end])
        start = end
    return slices


def map_length_slices(fn, batch, tokens_per_slice):
    """float32 [B, ...] in the order of `batch`: `fn` (dict of int [b, t]
    -> float32 [b, ...]) on each of `length_slices` of `batch` (dict of int
    [B, T] with `attention_mask`), cut to the slice's longest row."""
    import numpy as np

    lengths = batch["attention_mask"].sum(1)
    slices = length_slices(lengths, tokens_per_slice)
    outputs = [
        fn({name: value[rows, : lengths[rows[-1]]] for name, value in batch.items()})
        for rows in slices
    ]
    return np.concatenate(outputs)[np.argsort(np.concatenate(slices))]


def onnx_call(onnx_model, max_sequence_length, length_sorted, tokens_per_slice=TOKENS_PER_SLICE):
    """call(texts) -> float32 [B, H] masked mean embeddings: Hugging Face's
    tokenizer (saved beside `onnx_model`) and an ONNX Runtime CPU session
    (default options: all graph optimisations, its own thread pools), one
    run per batch padded to its longest row or, with `length_sorted`, per
    slice of `length_slices`."""
    import onnxruntime
    import transformers

    tokenizer = transformers.XLMRobertaTokenizer.from_pretrained(os.path.dirname(onnx_model))
    session = onnxruntime.InferenceSession(onnx_model, providers=["CPUExecutionProvider"])

    def embed(batch):
        (hidden,) = session.run(None, batch)
        return masked_mean(hidden, batch["attention_mask"])

    def call(texts):
        batch = numpy_batch(tokenizer, texts, max_sequence_length)
        if length_sorted:
            return map_length_slices(embed, batch, tokens_per_slice)
        return embed(batch)

    return call


def prepare_onnx(hf_dir, onnx_model, texts, max_sequence_length):
    """Write the HF `XLMRobertaModel` of `hf_dir` to `onnx_model` (see
    `export_onnx`) fused by ONNX Runtime's BERT optimizer (Attention,
    SkipLayerNormalization, BiasGelu), and its tokenizer beside it, once
    its `last_hidden_state` matches Hugging Face's on `texts` (padded).
    Returns {fused op: count}; 6 x 512: Attention 6,
    SkipLayerNormalization 12, BiasGelu 6, LayerNormalization 1."""
    import tempfile

    import transformers
    from onnxruntime.transformers import optimizer

    tokenizer = transformers.XLMRobertaTokenizer.from_pretrained(hf_dir)
    # Eager attention: the optimizer fuses its MatMul/Softmax pattern, not SDPA's.
    model = transformers.XLMRobertaModel.from_pretrained(
        hf_dir, add_pooling_layer=False, attn_implementation="eager"
    ).eval()
    batch = bench_common.hf_batch(tokenizer, texts, max_sequence_length)
    with tempfile.TemporaryDirectory() as scratch:
        export_onnx(model, batch, os.path.join(scratch, "unfused.onnx"))
        fused = optimizer.optimize_model(
            os.path.join(scratch, "unfused.onnx"),
            model_type="bert",
            num_heads=model.config.num_attention_heads,
            hidden_size=model.config.hidden_size,
        )
    layers = model.config.num_hidden_layers
    counts = {op: n for op, n in fused.get_fused_operator_statistics().items() if n}
    expected = {"Attention": layers, "SkipLayerNormalization": 2 * layers, "BiasGelu": layers}
    if any(counts.get(op) != n for op, n in expected.items()):
        raise RuntimeError(
            f"ONNX Runtime's optimizer fused {counts} in {hf_dir}'s export, expected {expected}: "
            "the exported graph changed; check the torch, transformers and onnxruntime versions."
        )
    check_onnx(fused.model, model, batch)
    os.makedirs(os.path.dirname(onnx_model), exist_ok=True)
    fused.save_model_to_file(onnx_model)
    tokenizer.save_pretrained(os.path.dirname(onnx_model))
    return counts


def export_onnx(model, batch, path):
    """Write `model` (HF `XLMRobertaModel`) to `path`, traced on `batch`:
    ONNX opset 17, int64 [batch, sequence] `input_ids` and `attention_mask`
    -> float32 [batch, sequence, hidden] `last_hidden_state`. TorchScript
    exporter (`dynamo=False`): in the graph of torch 2.13's default (dynamo)
    exporter ONNX Runtime's optimizer fuses no Attention."""
    import torch

    class LastHiddenState(torch.nn.Module):
        """`model` with positional inputs (the tracer's) and one output."""

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    axes = {0: "batch", 1: "sequence"}
    torch.onnx.export(
        LastHiddenState().eval(),
        tuple(batch[name] for name in ONNX_INPUTS),
        path,
        input_names=list(ONNX_INPUTS),
        output_names=["last_hidden_state"],
        dynamic_axes={name: axes for name in (*ONNX_INPUTS, "last_hidden_state")},
        opset_version=17,
        dynamo=False,
    )


def check_onnx(fused, model, batch):
    """Raise unless `fused` (an ONNX ModelProto) gives `model`'s (HF,
    PyTorch) `last_hidden_state` on `batch` (PyTorch tensors) within
    `ONNX_TOLERANCE`."""
    import numpy as np
    import onnxruntime
    import torch

    session = onnxruntime.InferenceSession(
        fused.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (hidden,) = session.run(None, {name: batch[name].numpy() for name in ONNX_INPUTS})
    with torch.inference_mode():
        expected = model(**batch).last_hidden_state.numpy()
    difference = float(np.abs(hidden - expected).max())
    if difference >= ONNX_TOLERANCE:
        raise RuntimeError(
            f"The fused ONNX model's last_hidden_state differs from Hugging Face's by "
            f"{difference:.2g} (tolerance {ONNX_TOLERANCE}) on {len(hidden)} padded sentences: "
            "the export or the fusion changed the model; check the torch, transformers and "
            "onnxruntime versions."
        )
