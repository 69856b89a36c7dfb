"""Strings -> embedding throughput and latency of an exported SavedModel,
alone or next to Hugging Face and ONNX Runtime.

  python tools/bench_serving.py --saved_model=models/xlm/1 --language=en
  python tools/bench_serving.py --saved_model=models/xlmr/1 --batch_size=32 --batches=300
  python tools/bench_serving.py --compare_hf --workdir=/tmp/bench_serving
  python tools/bench_serving.py --compare_hf --workdir=/tmp/bench_serving --peers=onnx

One SavedModel: loads the version the way a server does (TensorFlow plus
tf-text's SentencePiece kernels only; no Keras), then calls `--signature`
(default `embed`) on batches of sentences from the bundled corpus (or
`--sentences_file`): `--warmup` batches untimed, then `--batches` timed
ones. Prints one JSON line: texts/s, batch latency p50/p90/p99 in ms, and
the setup (device, threads, T).

`--compare_hf`: in `--workdir` (made once, then reused) a SentencePiece
model trained on the bundled corpus, a random Hugging Face
`XLMRobertaModel` (`--num_layers` x `--hidden_dim`, `--num_heads`,
`--vocabulary_size`), its `convert_checkpoint("hf", ...)` preset, that
preset exported with `--max_sequence_length`, `--sentences` sentences cut
from the bundled test corpus (`mono/*.test.txt`, all languages, shuffled),
and the preset in ONNX: exported to transformers (`transformers/`,
`xlm_keras.convert.export_transformers`, as `xlm-export
--format=transformers`), then `onnx/model.onnx` (`torch.onnx.export`, opset
17, fused by ONNX Runtime's BERT optimizer, checked against that
transformers model; see tools/bench_onnx.py). Then, for each of `--rounds` rounds and each batch
size, one fresh process per path on the same sentences: the `--peers`
(`hf`: its `XLMRobertaTokenizer` + `XLMRobertaModel` in PyTorch, padded to
the longest row, masked mean; `onnx`: the same tokenizer in NumPy and an
ONNX Runtime CPU session, masked mean, one run per batch padded to its
longest row, or per slice of rows sorted by length, as our `embed` runs
them) and the exported `embed` signature (plus `--before_saved_model`, e.g.
an export by an older checkout). Prints one table of medians over rounds
and the ratios to Hugging Face and to ONNX Runtime length-sorted.

This file is the orchestration (flags, `prepare`, `compare`, the workers'
`main`) and the SavedModel and Hugging Face paths; the ONNX Runtime path
(export, fusion, checks, session, length slices) is its neighbour
tools/bench_onnx.py.
"""

import json
import os
import sys

import bench_common
import bench_onnx
from absl import app
from absl import flags

_SAVED_MODEL = flags.DEFINE_string("saved_model", None, "Version directory to load.")
_SIGNATURE = flags.DEFINE_string("signature", "embed", "A text signature.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 32, "Texts per call.", lower_bound=1)
_BATCHES = flags.DEFINE_integer("batches", 200, "Timed calls.", lower_bound=1)
_WARMUP = flags.DEFINE_integer("warmup", 10, "Untimed calls first.", lower_bound=0)
_LANGUAGE = flags.DEFINE_string(
    "language",
    None,
    "Language code of every text (models that take one); default: the first known.",
)
_CORPUS_LANGUAGE = flags.DEFINE_string(
    "corpus_language", "en", "Sample sentences of this language."
)
_SENTENCES_FILE = flags.DEFINE_string(
    "sentences_file", None, "Texts, one a line, instead of the corpus."
)
_HF_MODEL = flags.DEFINE_string(
    "hf_model", None, "Time this Hugging Face XLM-R directory instead of a SavedModel."
)
_ONNX_MODEL = flags.DEFINE_string(
    "onnx_model", None, "Time this ONNX model (its tokenizer beside it) instead of a SavedModel."
)
_ONNX_LENGTH_SORTED = flags.DEFINE_bool(
    "onnx_length_sorted", False, "--onnx_model: one run per length-sorted slice, not per batch."
)
_COMPARE_HF = flags.DEFINE_bool("compare_hf", False, "Compare with peers (see above).")
_PEERS = flags.DEFINE_list("peers", ["hf", "onnx"], "--compare_hf: peers to time: hf, onnx.")
flags.register_validator(
    "peers", lambda peers: set(peers) <= {"hf", "onnx"}, "--peers: a comma list of hf, onnx."
)
_WORKDIR = flags.DEFINE_string("workdir", "/tmp/xlm_bench_serving", "--compare_hf: its files.")
_BATCH_SIZES = flags.DEFINE_list("batch_sizes", ["1", "32"], "--compare_hf: batch sizes.")
_ROUNDS = flags.DEFINE_integer(
    "rounds", 3, "--compare_hf: interleaved runs per path.", lower_bound=1
)
_SENTENCES = flags.DEFINE_integer("sentences", 4096, "--compare_hf: generated sentences.")
_TIMED_TEXTS = flags.DEFINE_integer(
    "timed_texts", 640, "--compare_hf: timed texts per run (batches of each size).", lower_bound=1
)
_BEFORE = flags.DEFINE_string(
    "before_saved_model", None, "--compare_hf: another export of the same preset to time too."
)
_MAX_SEQUENCE_LENGTH = flags.DEFINE_integer("max_sequence_length", 128, "--compare_hf: export's.")
_SPM_SIZE = flags.DEFINE_integer("spm_size", 8000, "--compare_hf: SentencePiece pieces (at most).")

SAMPLE_CORPUS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "xlm_keras",
    "data",
    "sample_corpus",
)


HF_DIR, PRESET_DIR, EXPORT_DIR, SENTENCES_TXT = "hf", "preset", "export", "sentences.txt"
# Our preset through `xlm-export --format=transformers`, the ONNX model's source.
TRANSFORMERS_DIR = "transformers"
ONNX_MODEL = os.path.join("onnx", "model.onnx")  # Its tokenizer beside it.
HF_ROW = "Hugging Face (PyTorch)"
ONNX_PADDED_ROW, ONNX_SORTED_ROW = "ONNX Runtime (padded)", "ONNX Runtime (length-sorted)"


def sentences(language, count):
    """`count` corpus lines of `language`, cycled if the file is shorter."""
    path = os.path.join(SAMPLE_CORPUS, "mono", f"{language}.test.txt")
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    return [lines[i % len(lines)] for i in range(count)]


def saved_model_call(saved_model, signature_name, language):
    """(call(texts) -> outputs, description): `signature_name` of the
    SavedModel, with `language` (default the first known) for models that
    take one."""
    import tensorflow as tf

    with open(os.path.join(saved_model, "signatures.json"), encoding="utf-8") as f:
        description = json.load(f)
    signature = bench_common.load_saved_model(saved_model).signatures[signature_name]
    has_language = description["model"]["has_language_input"]
    code = language or (description["model"]["languages"][0] if has_language else None)

    def call(texts):
        inputs = {"text": tf.constant(texts)}
        if has_language:
            inputs["language"] = tf.constant([code] * len(texts))
        # .numpy() waits for the result, as a server must before replying.
        return {name: value.numpy() for name, value in signature(**inputs).items()}

    return call, description


def hf_call(hf_dir, max_sequence_length):
    """call(texts) -> masked mean embeddings: Hugging Face's tokenizer and
    `XLMRobertaModel` (PyTorch), rows padded to the longest."""
    import torch
    import transformers

    tokenizer = transformers.XLMRobertaTokenizer.from_pretrained(hf_dir)
    model = transformers.XLMRobertaModel.from_pretrained(hf_dir, add_pooling_layer=False).eval()

    def call(texts):
        with torch.inference_mode():
            batch = bench_common.hf_batch(tokenizer, texts, max_sequence_length)
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"][..., None].to(hidden.dtype)
            return ((hidden * mask).sum(1) / mask.sum(1)).numpy()

    return call


def worker_report(call, texts, size, batches, warmup):
    """dict: texts/s and batch latency percentiles of `call` on consecutive
    batches of `size` texts (cycled)."""
    import numpy as np

    latencies = bench_common.batch_latencies(call, texts, size, batches, warmup)
    return {
        "batch_size": size,
        "batches": len(latencies),
        "texts_per_s": round(size * len(latencies) / latencies.sum(), 1),
        "latency_ms": {
            f"p{q}": round(float(np.percentile(latencies, q)) * 1e3, 2) for q in (50, 90, 99)
        },
    }


def prepare(
    workdir,
    sentence_count,
    max_sequence_length,
    num_layers,
    hidden_dim,
    num_heads,
    vocabulary_size,
    spm_size,
):
    """Make (once) the tokenizer, random HF model, converted preset, export,
    sentences and fused ONNX model of `--compare_hf` in `workdir`. Returns
    the export path."""
    export_base = os.path.join(workdir, EXPORT_DIR)
    if not (os.path.isdir(export_base) and os.listdir(export_base)):
        prepare_export(
            workdir,
            sentence_count,
            max_sequence_length,
            bench_common.hf_xlmr_config(
                num_layers, hidden_dim, num_heads, vocabulary_size, max_sequence_length
            ),
            spm_size,
        )
    onnx_model = os.path.join(workdir, ONNX_MODEL)
    if not os.path.exists(onnx_model):
        from xlm_keras.convert import export_transformers

        transformers_dir = os.path.join(workdir, TRANSFORMERS_DIR)
        if not os.path.isdir(transformers_dir):
            export_transformers(os.path.join(workdir, PRESET_DIR), transformers_dir)
        with open(os.path.join(workdir, SENTENCES_TXT), encoding="utf-8") as f:
            texts = [line.rstrip("\n") for line in f][:8]
        counts = bench_onnx.prepare_onnx(transformers_dir, onnx_model, texts, max_sequence_length)
        print(f"{onnx_model}: fused {counts}")
    return os.path.join(export_base, sorted(os.listdir(export_base), key=int)[-1])


def prepare_export(workdir, sentence_count, max_sequence_length, config, spm_size):
    """Write in `workdir` a SentencePiece model of `spm_size` pieces, a random
    HF `XLMRobertaModel` of `config`, its converted preset, that preset's
    export and `sentence_count` test sentences."""
    import torch
    import transformers

    from xlm_keras.convert import convert_checkpoint
    from xlm_keras.data import corpus
    from xlm_keras.serving import export

    hf_dir = os.path.join(workdir, HF_DIR)
    os.makedirs(hf_dir, exist_ok=True)
    with open(os.path.join(hf_dir, "sentencepiece.bpe.model"), "wb") as f:
        f.write(bench_common.sentencepiece_model(spm_size))
    torch.manual_seed(0)
    transformers.XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(hf_dir)
    convert_checkpoint("hf", hf_dir, os.path.join(workdir, PRESET_DIR), overwrite=True)
    with open(os.path.join(workdir, SENTENCES_TXT), "w", encoding="utf-8") as f:
        f.writelines(text + "\n" for text in corpus.sample_test_sentences(sentence_count))
    export(
        os.path.join(workdir, PRESET_DIR),
        os.path.join(workdir, EXPORT_DIR),
        max_sequence_length=max_sequence_length,
    )


def peer_paths(workdir, peers):
    """dict row name -> worker flags of `peers` ("hf", "onnx") on the models
    of `workdir`."""
    onnx_model = os.path.join(workdir, ONNX_MODEL)
    rows = {
        "hf": {HF_ROW: ["--hf_model", os.path.join(workdir, HF_DIR)]},
        "onnx": {
            ONNX_PADDED_ROW: ["--onnx_model", onnx_model],
            ONNX_SORTED_ROW: ["--onnx_model", onnx_model, "--onnx_length_sorted"],
        },
    }
    return {name: args for peer in peers for name, args in rows[peer].items()}


def compare(
    workdir,
    saved_models,
    batch_sizes,
    rounds,
    timed_texts,
    warmup,
    max_sequence_length,
    peers=("hf", "onnx"),
):
    """Rounds of one fresh process per path and batch size, on the
    sentences of `prepare`: `peers` (see `peer_paths`), then `saved_models`
    (row name -> export). Returns the table (`format_table`)."""
    paths = peer_paths(workdir, peers)
    paths.update({name: ["--saved_model", path] for name, path in saved_models.items()})
    common = [
        "--sentences_file",
        os.path.join(workdir, SENTENCES_TXT),
        f"--warmup={warmup}",
        f"--max_sequence_length={max_sequence_length}",
    ]
    results = {}
    for _ in range(rounds):
        for size in batch_sizes:
            batches = max(1, timed_texts // size)
            for name, args in paths.items():
                sizes = [f"--batch_size={size}", f"--batches={batches}"]
                report = bench_common.run_fresh(__file__, [*args, *common, *sizes], name)
                results.setdefault((name, size), []).append(report)
    medians = {
        key: (
            bench_common.median(runs, "texts_per_s"),
            bench_common.median(runs, "latency_ms", "p50"),
        )
        for key, runs in results.items()
    }
    rows = []
    for (name, size), (rate, p50) in medians.items():
        references = [medians.get((row, size)) for row in (HF_ROW, ONNX_SORTED_ROW)]
        rate_ratios = [None if ref is None else rate / ref[0] for ref in references]
        p50_ratios = [None if ref is None else p50 / ref[1] for ref in references]
        rows.append((name, size, rate, rate_ratios, p50, p50_ratios, len(results[(name, size)])))
    return format_table(rows)


def format_table(rows):
    """Markdown table of (path, batch, texts/s, [x HF, x ONNX Runtime
    length-sorted], p50 ms, [x HF, x ONNX Runtime length-sorted], runs); a
    ratio of None (that peer not run) shows as "-"."""
    lines = [
        "| path | batch | sentences/s | vs HF | vs ORT sorted | batch p50 ms | vs HF "
        "| vs ORT sorted | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size, rate, rate_ratios, p50, p50_ratios, runs in sorted(rows, key=lambda r: r[1]):
        rate_cells, p50_cells = (
            " | ".join("-" if r is None else f"{r:.2f}x" for r in ratios)
            for ratios in (rate_ratios, p50_ratios)
        )
        cells = [name, size, f"{rate:.1f}", rate_cells, f"{p50:.1f}", p50_cells, runs]
        lines.append(f"| {' | '.join(map(str, cells))} |")
    return "\n".join(lines)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    if _COMPARE_HF.value:
        ours = prepare(
            _WORKDIR.value,
            _SENTENCES.value,
            _MAX_SEQUENCE_LENGTH.value,
            bench_common.NUM_LAYERS.value,
            bench_common.HIDDEN_DIM.value,
            bench_common.NUM_HEADS.value,
            bench_common.VOCABULARY_SIZE.value,
            _SPM_SIZE.value,
        )
        saved_models = {"ours (embed)": ours}
        if _BEFORE.value:
            saved_models["ours before (embed)"] = _BEFORE.value
        print(
            compare(
                _WORKDIR.value,
                saved_models,
                [int(size) for size in _BATCH_SIZES.value],
                _ROUNDS.value,
                _TIMED_TEXTS.value,
                _WARMUP.value,
                _MAX_SEQUENCE_LENGTH.value,
                _PEERS.value,
            )
        )
        return
    size = _BATCH_SIZE.value
    count = _WARMUP.value + _BATCHES.value
    if _SENTENCES_FILE.value:
        with open(_SENTENCES_FILE.value, encoding="utf-8") as f:
            texts = [line.rstrip("\n") for line in f]
    else:
        texts = sentences(_CORPUS_LANGUAGE.value, size * count)
    if _HF_MODEL.value:
        call = hf_call(_HF_MODEL.value, _MAX_SEQUENCE_LENGTH.value)
        print(
            json.dumps(
                {
                    "hf_model": _HF_MODEL.value,
                    **worker_report(call, texts, size, _BATCHES.value, _WARMUP.value),
                }
            )
        )
        return
    if _ONNX_MODEL.value:
        import onnxruntime

        call = bench_onnx.onnx_call(
            _ONNX_MODEL.value, _MAX_SEQUENCE_LENGTH.value, _ONNX_LENGTH_SORTED.value
        )
        print(
            json.dumps(
                {
                    "onnx_model": _ONNX_MODEL.value,
                    "length_sorted": _ONNX_LENGTH_SORTED.value,
                    "onnxruntime": onnxruntime.__version__,
                    **worker_report(call, texts, size, _BATCHES.value, _WARMUP.value),
                }
            )
        )
        return
    if not _SAVED_MODEL.value:
        raise app.UsageError("Pass --saved_model, --hf_model, --onnx_model or --compare_hf.")
    import tensorflow as tf

    call, description = saved_model_call(_SAVED_MODEL.value, _SIGNATURE.value, _LANGUAGE.value)
    report = worker_report(call, texts, size, _BATCHES.value, _WARMUP.value)
    tokens = call(texts[:size]) if _SIGNATURE.value == "tokenize" else None
    print(
        json.dumps(
            {
                "saved_model": _SAVED_MODEL.value,
                "signature": _SIGNATURE.value,
                **report,
                "sequence_length": None if tokens is None else int(tokens["token_ids"].shape[1]),
                "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
                "cpu_threads": os.cpu_count(),
                "python": sys.version.split()[0],
                "tensorflow": tf.__version__,
                "max_sequence_length": description["model"]["max_sequence_length"],
            }
        )
    )


if __name__ == "__main__":
    app.run(main)
