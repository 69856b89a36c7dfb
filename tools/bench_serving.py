"""Strings -> embedding throughput and latency of an exported SavedModel,
alone or next to Hugging Face.

  python tools/bench_serving.py --saved_model=models/xlm/1 --language=en
  python tools/bench_serving.py --saved_model=models/xlmr/1 --batch_size=32 --batches=300
  python tools/bench_serving.py --compare_hf --workdir=/tmp/bench_serving

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
preset exported with `--max_sequence_length`, and `--sentences` sentences
cut from the bundled test corpus (`mono/*.test.txt`, all languages,
shuffled). Then, for each of `--rounds` rounds and each batch size, one
fresh process per path on the same sentences: Hugging Face (its
`XLMRobertaTokenizer` + `XLMRobertaModel` in PyTorch, padded to the
longest row, masked mean) and the exported `embed` signature (plus
`--before_saved_model`, e.g. an export by an older checkout). Prints one
table of medians over rounds and the ratios to Hugging Face.
"""

import json
import os
import sys

import bench_common
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
_COMPARE_HF = flags.DEFINE_bool("compare_hf", False, "Compare with Hugging Face (see above).")
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
    """Make (once) the tokenizer, random HF model, converted preset, export
    and sentences of `--compare_hf` in `workdir`. Returns the export path."""
    export_base = os.path.join(workdir, EXPORT_DIR)
    if os.path.isdir(export_base) and os.listdir(export_base):
        return os.path.join(export_base, sorted(os.listdir(export_base), key=int)[-1])
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
    config = bench_common.hf_xlmr_config(
        num_layers, hidden_dim, num_heads, vocabulary_size, max_sequence_length
    )
    transformers.XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(hf_dir)
    convert_checkpoint("hf", hf_dir, os.path.join(workdir, PRESET_DIR), overwrite=True)
    with open(os.path.join(workdir, SENTENCES_TXT), "w", encoding="utf-8") as f:
        f.writelines(text + "\n" for text in corpus.sample_test_sentences(sentence_count))
    return export(
        os.path.join(workdir, PRESET_DIR), export_base, max_sequence_length=max_sequence_length
    )


def compare(workdir, saved_models, batch_sizes, rounds, timed_texts, warmup, max_sequence_length):
    """Rounds of one fresh process per path and batch size, on the
    sentences of `prepare`; `saved_models` maps row names to exports.
    Returns the table (`format_table`)."""
    paths = {"Hugging Face (PyTorch)": ["--hf_model", os.path.join(workdir, HF_DIR)]}
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
    rows = []
    for (name, size), runs in results.items():
        hf = results[(next(iter(paths)), size)]
        rate, hf_rate = (bench_common.median(r, "texts_per_s") for r in (runs, hf))
        p50, hf_p50 = (bench_common.median(r, "latency_ms", "p50") for r in (runs, hf))
        rows.append((name, size, rate, rate / hf_rate, p50, p50 / hf_p50, len(runs)))
    return format_table(rows)


def format_table(rows):
    """Markdown table of (path, batch, texts/s, x HF, p50 ms, x HF, runs)."""
    lines = [
        "| path | batch | sentences/s | vs HF | batch p50 ms | vs HF | runs |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {size} | {rate:.1f} | {ratio:.2f}x | {p50:.1f} | {p50_ratio:.2f}x | {runs} |"
        for name, size, rate, ratio, p50, p50_ratio, runs in sorted(rows, key=lambda r: r[1])
    ]
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
    if not _SAVED_MODEL.value:
        raise app.UsageError("Pass --saved_model, --hf_model or --compare_hf.")
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
