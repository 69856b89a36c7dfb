"""Translation speed: `XLMSeq2SeqLM.generate()`, the exported `translate`
signature, Hugging Face `EncoderDecoderModel.generate()` (PyTorch) and
CTranslate2 (float32 and int8) running our preset's weights.

  python tools/bench_translate.py --workdir=/tmp/bench_translate
  python tools/bench_translate.py --rounds=5 --num_beams=1,4 --batch_sizes=1,32
  python tools/bench_translate.py --paths=saved_model,ct2,ct2_int8

In `--workdir` (made once, then reused): a SentencePiece model trained on
the bundled corpus (`--spm_size` pieces at most, fairseq ids as XLM-R), a
random XLM-R-layout encoder-decoder on each side (`--num_layers` x
`--hidden_dim`, `--num_heads`, `--vocabulary_size` rows, tied output
projection) - Hugging Face `EncoderDecoderModel(XLMRobertaModel,
XLMRobertaForCausalLM with cross-attention)` and our `XLMSeq2SeqLM` -, our
preset exported once per beam count (`--num_beams`, exported when first
asked for), our preset converted to CTranslate2 (`ct2/`), and
`--sentences` sentences cut from the bundled test corpus (all languages,
shuffled).

Our preset has XLM's output head (the tied projection and its bias), which
CTranslate2's `TransformerSpec` holds; Hugging Face's
`XLMRobertaForCausalLM` has XLM-R's (dense, GELU and LayerNorm before the
tied projection: one more H x H product per token, under 1% of a decoding
step's multiply-adds at the default shape).

CTranslate2 gets our preset's weights, not a model of its own
(tools/bench_ct2.py): exported once in float32 by
`xlm_keras.serving.export_ctranslate2` (`xlm-export --format=ctranslate2`),
kept only when CT2's float32 greedy ids equal `XLMSeq2SeqLM.generate`'s
on a few sentences, and run on the CPU with `sentencepiece` pieces framed
as ours and `compute_type` float32 (`ct2`) or int8 (`ct2_int8`, weights
quantised when loaded). `CT2_VERBOSE=1` makes it log its ISA and GEMM
backends (on AMD CPUs oneDNN, not MKL, unless `CT2_USE_MKL=1`); the
worker processes inherit the environment.

Every side decodes exactly `--new_tokens` tokens per sentence: the output
bias is -1e4 on `</s>` and on the rows past the SentencePiece model (the
softmax still spans all `--vocabulary_size` rows), so no hypothesis ends
early; Hugging Face also gets `min_new_tokens` and CTranslate2
`min_decoding_length`. Every path is timed from strings to strings
(tokenisation, encoder, cached decoding loop, detokenisation); sources are
cut to `--max_source_length` tokens. Hugging Face's weights differ from
ours (random), so only speed is compared with it.

For each of `--rounds` rounds, each beam count and batch size, one fresh
process per path runs `--warmup` untimed batches then `--timed_texts`
texts (at least 2 batches). Prints one table of medians over the rounds:
sentences/s and batch latency p50, and their ratios to Hugging Face and to
CTranslate2 float32.
"""

import functools
import json
import os
import sys

import bench_common
import bench_ct2
import numpy as np
from absl import app
from absl import flags

_WORKDIR = flags.DEFINE_string("workdir", "/tmp/xlm_bench_translate", "Models and sentences.")
_PATHS = flags.DEFINE_list(
    "paths",
    ["hf", "generate", "saved_model", "saved_model_xla", "ct2", "ct2_int8"],
    "Paths to time.",
)
_BEAMS = flags.DEFINE_list("num_beams", ["1", "4"], "Beam counts (1: greedy).")
_BATCH_SIZES = flags.DEFINE_list("batch_sizes", ["1", "32"], "Batch sizes.")
_ROUNDS = flags.DEFINE_integer("rounds", 3, "Interleaved runs per path.", lower_bound=1)
_TIMED_TEXTS = flags.DEFINE_integer("timed_texts", 96, "Timed texts per run.", lower_bound=1)
_WARMUP = flags.DEFINE_integer("warmup", 2, "Untimed batches first.", lower_bound=0)
_NEW_TOKENS = flags.DEFINE_integer("new_tokens", 32, "Tokens decoded per sentence.")
_MAX_SOURCE_LENGTH = flags.DEFINE_integer(
    "max_source_length", 128, "Source tokens, specials included."
)
_LENGTH_PENALTY = flags.DEFINE_float("length_penalty", 1.0, "Beam length penalty.")
_SENTENCES = flags.DEFINE_integer("sentences", 2048, "Corpus sentences written.")
_SPM_SIZE = flags.DEFINE_integer("spm_size", 8000, "SentencePiece pieces (at most).")
# One timed path (what the rounds start).
_RUN = flags.DEFINE_string("run", None, "Internal: time one path (one of --paths).")
_BEAM = flags.DEFINE_integer("beam", 1, "Internal: --run's beam count.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 32, "Internal: --run's batch size.")

HF_DIR, PRESET_DIR, EXPORT_DIR, SENTENCES_TXT = "hf", "preset", "export", "sentences.txt"
CT2_DIR = "ct2"
SPM_FILE = "sentencepiece.bpe.model"
MASKED_BIAS = -1e4
PATH_NAMES = {
    "hf": "Hugging Face generate (PyTorch)",
    "generate": "ours generate()",
    "saved_model": "ours SavedModel translate",
    "saved_model_xla": "ours SavedModel translate, --jit_compile",
    "saved_model_bf16": "ours SavedModel translate, --decoder_dtype=bfloat16",
    "ct2": "CTranslate2 float32",
    "ct2_int8": "CTranslate2 int8",
}


def prepare(workdir):
    """Make (once) the tokenizer, both random models and the sentences in
    `workdir`, then (once) our preset's CTranslate2 conversion."""
    if not os.path.exists(os.path.join(workdir, SENTENCES_TXT)):
        _prepare_models(workdir)
    if not os.path.isdir(os.path.join(workdir, CT2_DIR)):
        _prepare_ct2(workdir)


def _prepare_models(workdir):
    """The tokenizer, both random models, then the sentences (their file
    marks the work done)."""
    from xlm_keras.data import corpus
    from xlm_keras.models import XLMTokenizer

    os.makedirs(os.path.join(workdir, HF_DIR), exist_ok=True)
    model = bench_common.sentencepiece_model(_SPM_SIZE.value)
    with open(os.path.join(workdir, HF_DIR, SPM_FILE), "wb") as f:
        f.write(model)
    tokenizer = XLMTokenizer(proto=model, id_convention="fairseq")
    unused = [tokenizer.end_token_id] + list(
        range(tokenizer.vocabulary_size(), bench_common.VOCABULARY_SIZE.value)
    )
    _prepare_hf(workdir, unused)
    _prepare_ours(workdir, tokenizer, unused)
    with open(os.path.join(workdir, SENTENCES_TXT), "w", encoding="utf-8") as f:
        f.writelines(text + "\n" for text in corpus.sample_test_sentences(_SENTENCES.value))


def _prepare_hf(workdir, unused):
    """`unused`: ids no hypothesis may take (`</s>`, rows past the tokenizer)."""
    import torch
    import transformers

    hf_dir = os.path.join(workdir, HF_DIR)
    tokenizer = transformers.XLMRobertaTokenizer.from_pretrained(hf_dir)  # SPM_FILE.
    torch.manual_seed(0)

    def config(**options):
        return bench_common.hf_xlmr_config(
            bench_common.NUM_LAYERS.value,
            bench_common.HIDDEN_DIM.value,
            bench_common.NUM_HEADS.value,
            bench_common.VOCABULARY_SIZE.value,
            _MAX_SOURCE_LENGTH.value,
            **options,
        )

    encoder = transformers.XLMRobertaModel(config(), add_pooling_layer=False)
    decoder = transformers.XLMRobertaForCausalLM(config(is_decoder=True, add_cross_attention=True))
    model = transformers.EncoderDecoderModel(encoder=encoder, decoder=decoder)
    model.config.decoder_start_token_id = tokenizer.bos_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    with torch.no_grad():
        model.decoder.lm_head.bias[unused] = MASKED_BIAS
    model.save_pretrained(hf_dir)


def _prepare_ours(workdir, tokenizer, unused):
    from xlm_keras import XLMSeq2SeqBackbone
    from xlm_keras import XLMSeq2SeqLM
    from xlm_keras import XLMSeq2SeqLMPreprocessor

    backbone = XLMSeq2SeqBackbone(
        vocabulary_size=bench_common.VOCABULARY_SIZE.value,
        num_layers=bench_common.NUM_LAYERS.value,
        num_heads=bench_common.NUM_HEADS.value,
        hidden_dim=bench_common.HIDDEN_DIM.value,
        intermediate_dim=4 * bench_common.HIDDEN_DIM.value,
        dropout=0.0,
        max_sequence_length=_MAX_SOURCE_LENGTH.value,
        position_offset=2,
        layer_norm_epsilon=1e-5,
    )
    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer,
        encoder_sequence_length=_MAX_SOURCE_LENGTH.value,
        decoder_sequence_length=_NEW_TOKENS.value + 1,
    )
    model = XLMSeq2SeqLM(backbone, preprocessor=preprocessor, lm_head="xlm")
    bias = np.zeros(bench_common.VOCABULARY_SIZE.value, "float32")
    bias[unused] = MASKED_BIAS
    model.output_head.bias.assign(bias)
    preset = os.path.join(workdir, PRESET_DIR)
    model.save_to_preset(preset)


def _prepare_ct2(workdir):
    """Convert our preset to CTranslate2 in `workdir`/ct2, kept only once
    CT2's float32 greedy ids equal ours on the first sentences."""
    bench_ct2.convert_checked(
        os.path.join(workdir, PRESET_DIR),
        os.path.join(workdir, HF_DIR, SPM_FILE),
        read_sentences(workdir),
        _NEW_TOKENS.value,
        os.path.join(workdir, CT2_DIR),
    )


# SavedModel path -> its `export()` options.
EXPORTS = {
    "saved_model": {},
    "saved_model_xla": {"jit_compile": True},
    "saved_model_bf16": {"decoder_dtype": "bfloat16"},
}


def export_dir(workdir, beams, path):
    """The version directory of `path`'s export with `beams` beams."""
    return os.path.join(workdir, EXPORT_DIR, f"{path}_beams_{beams}", "1")


def export_missing(workdir, beam_counts, path):
    """Export the preset for SavedModel `path` once per beam count (those
    not exported yet)."""
    from xlm_keras.serving import export

    for beams in beam_counts:
        version_dir = export_dir(workdir, beams, path)
        if not os.path.isdir(version_dir):
            export(
                os.path.join(workdir, PRESET_DIR),
                os.path.dirname(version_dir),
                version=1,
                max_sequence_length=_MAX_SOURCE_LENGTH.value,
                max_decode_length=_NEW_TOKENS.value + 1,
                num_beams=beams,
                length_penalty=_LENGTH_PENALTY.value,
                warmup=False,
                **EXPORTS[path],
            )


def hf_call(workdir, beams):
    """call(texts) -> strings: Hugging Face tokenizer, `EncoderDecoderModel.generate`
    (KV cache), `batch_decode`."""
    import torch
    import transformers

    hf_dir = os.path.join(workdir, HF_DIR)
    tokenizer = transformers.XLMRobertaTokenizer.from_pretrained(hf_dir)
    model = transformers.EncoderDecoderModel.from_pretrained(hf_dir).eval()
    new_tokens = _NEW_TOKENS.value

    def call(texts):
        with torch.inference_mode():
            batch = bench_common.hf_batch(tokenizer, texts, _MAX_SOURCE_LENGTH.value)
            ids = model.generate(
                **batch,
                num_beams=beams,
                do_sample=False,
                use_cache=True,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                length_penalty=_LENGTH_PENALTY.value,
                early_stopping=False,
            )
            assert ids.shape[1] == new_tokens + 1, ids.shape  # Start token + new ones.
            return tokenizer.batch_decode(ids, skip_special_tokens=True)

    return call


def generate_call(workdir, beams):
    """call(texts) -> strings: `XLMSeq2SeqLM.generate` on the preset."""
    from xlm_keras import XLMBeamSampler
    from xlm_keras import XLMSeq2SeqLM

    model = XLMSeq2SeqLM.from_preset(os.path.join(workdir, PRESET_DIR))
    model.compile(
        sampler=XLMBeamSampler(num_beams=beams, length_penalty=_LENGTH_PENALTY.value)
        if beams > 1
        else "greedy"
    )

    def call(texts):
        return model.generate(texts, max_length=_NEW_TOKENS.value + 1)

    return call


def saved_model_call(workdir, beams, path="saved_model"):
    """call(texts) -> strings: the exported `translate` signature of
    SavedModel `path`, loaded with TensorFlow and tf-text's SentencePiece
    kernels only."""
    import tensorflow as tf

    saved_model = export_dir(workdir, beams, path)
    signature = bench_common.load_saved_model(saved_model).signatures["translate"]

    def call(texts):
        return signature(text=tf.constant(texts))["translation"].numpy()

    return call


def source_buckets(workdir, texts, size):
    """Batches of `size` texts, one per XLA source bucket among `texts`
    (packed length rounded up to `translation_module.SOURCE_BUCKET`): an
    XLA export compiles once per bucket and batch size, so these run before
    the timed batches."""
    import sentencepiece

    from xlm_keras.serving.translation_module import SOURCE_BUCKET

    model = sentencepiece.SentencePieceProcessor(model_file=os.path.join(workdir, HF_DIR, SPM_FILE))
    by_bucket = {}
    for text in texts:
        length = min(len(model.encode(text)) + 2, _MAX_SOURCE_LENGTH.value)
        by_bucket.setdefault(-(-length // SOURCE_BUCKET), []).append(text)
    return [(group * size)[:size] for group in by_bucket.values()]


def ct2_call(workdir, beams, compute_type):
    """call(texts) -> strings: CTranslate2 on the preset's conversion with
    `compute_type` (`bench_ct2.translator_call`)."""
    return bench_ct2.translator_call(
        os.path.join(workdir, CT2_DIR),
        os.path.join(workdir, HF_DIR, SPM_FILE),
        beams,
        compute_type,
        _MAX_SOURCE_LENGTH.value,
        _NEW_TOKENS.value,
        _LENGTH_PENALTY.value,
    )


CALLS = {
    "hf": hf_call,
    "generate": generate_call,
    "saved_model": saved_model_call,
    "saved_model_xla": functools.partial(saved_model_call, path="saved_model_xla"),
    "saved_model_bf16": functools.partial(saved_model_call, path="saved_model_bf16"),
    "ct2": functools.partial(ct2_call, compute_type="float32"),
    "ct2_int8": functools.partial(ct2_call, compute_type="int8"),
}


def read_sentences(workdir):
    """[str] the sentences `prepare` wrote."""
    with open(os.path.join(workdir, SENTENCES_TXT), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def run_one(workdir, path, beams, size):
    """dict: sentences/s and batch p50 latency of one path in this process."""
    texts = read_sentences(workdir)
    call = CALLS[path](workdir, beams)

    def checked_call(batch):
        outputs = call(batch)
        assert len(outputs) == size
        return outputs

    batches = max(2, _TIMED_TEXTS.value // size)
    if path == "saved_model_xla":  # Compile every source bucket the timed batches reach.
        for batch in source_buckets(workdir, texts[: size * (_WARMUP.value + batches)], size):
            checked_call(batch)
    latencies = bench_common.batch_latencies(checked_call, texts, size, batches, _WARMUP.value)
    return {
        "sentences_per_s": size * len(latencies) / latencies.sum(),
        "p50_ms": float(np.median(latencies)) * 1e3,
        "batches": len(latencies),
    }


def compare(workdir, paths, beam_counts, batch_sizes, rounds):
    """Rounds of one fresh process per path, beam count and batch size;
    returns the table."""

    results = {}
    rest = [arg for arg in sys.argv[1:] if not arg.startswith("--workdir")]
    for round_index in range(rounds):
        for beams in beam_counts:
            for size in batch_sizes:
                for path in paths:
                    args = [f"--workdir={workdir}", f"--run={path}", f"--beam={beams}"]
                    args += [f"--batch_size={size}", *rest]
                    report = bench_common.run_fresh(__file__, args, path)
                    print(
                        f"round {round_index} beams {beams} batch {size} {path}: {report}",
                        file=sys.stderr,
                        flush=True,
                    )
                    results.setdefault((beams, size, path), []).append(report)
    return format_table(results)


def format_table(results):
    """Markdown table of `results` {(beams, size, path): [reports]}: medians
    and their ratios to Hugging Face and CTranslate2 float32 (where run)."""
    lines = [
        "| decoding | batch | path | sentences/s | vs HF | vs CT2 | batch p50 ms | vs HF | vs CT2 "
        "| runs |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (beams, size, path), runs in results.items():
        rate = bench_common.median(runs, "sentences_per_s")
        p50 = bench_common.median(runs, "p50_ms")
        versus = [_ratios(rate, p50, results.get((beams, size, base))) for base in ("hf", "ct2")]
        decoding = "greedy" if beams == 1 else f"beam {beams}"
        lines.append(
            f"| {decoding} | {size} | {PATH_NAMES[path]} | {rate:.2f} | {versus[0][0]} "
            f"| {versus[1][0]} | {p50:.0f} | {versus[0][1]} | {versus[1][1]} | {len(runs)} |"
        )
    return "\n".join(lines)


def _ratios(rate, p50, base_runs):
    """(sentences/s ratio, p50 ratio) to the medians of `base_runs`, or
    empty strings when that path did not run."""
    if not base_runs:
        return "", ""
    return (
        f"{rate / bench_common.median(base_runs, 'sentences_per_s'):.2f}x",
        f"{p50 / bench_common.median(base_runs, 'p50_ms'):.2f}x",
    )


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    workdir = _WORKDIR.value
    if _RUN.value:
        print(json.dumps(run_one(workdir, _RUN.value, _BEAM.value, _BATCH_SIZE.value)))
        return
    prepare(workdir)
    for path in EXPORTS:
        if path in _PATHS.value:
            export_missing(workdir, [int(b) for b in _BEAMS.value], path)
    print(
        compare(
            workdir,
            _PATHS.value,
            [int(b) for b in _BEAMS.value],
            [int(s) for s in _BATCH_SIZES.value],
            _ROUNDS.value,
        )
    )


if __name__ == "__main__":
    app.run(main)
