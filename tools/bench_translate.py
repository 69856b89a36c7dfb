"""Translation speed: `XLMSeq2SeqLM.generate()`, the exported `translate`
signature and Hugging Face `EncoderDecoderModel.generate()` (PyTorch).

  python tools/bench_translate.py --workdir=/tmp/bench_translate
  python tools/bench_translate.py --rounds=5 --num_beams=1,4 --batch_sizes=1,32

In `--workdir` (made once, then reused): a SentencePiece model trained on
the bundled corpus (`--spm_size` pieces at most, fairseq ids as XLM-R), a
random XLM-R-layout encoder-decoder on each side (`--num_layers` x
`--hidden_dim`, `--num_heads`, `--vocabulary_size` rows, tied output
projection) - Hugging Face `EncoderDecoderModel(XLMRobertaModel,
XLMRobertaForCausalLM with cross-attention)` and our `XLMSeq2SeqLM` -, our
preset exported once per beam count (`--num_beams`, exported when first
asked for), and `--sentences` sentences cut from
the bundled test corpus (all languages, shuffled).

Both sides decode exactly `--new_tokens` tokens per sentence: the output
bias is -1e4 on `</s>` and on the rows past the SentencePiece model (the
softmax still spans all `--vocabulary_size` rows), so no hypothesis ends
early, and Hugging Face also gets `min_new_tokens`. Every path is timed
from strings to strings (tokenisation, encoder, cached decoding loop,
detokenisation); sources are cut to `--max_source_length` tokens. The
weights differ between the sides (random), so only speed is compared.

For each of `--rounds` rounds, each beam count and batch size, one fresh
process per path runs `--warmup` untimed batches then `--timed_texts`
texts (at least 2 batches). Prints one table of medians over the rounds:
sentences/s and batch latency p50, and their ratios to Hugging Face.
"""

import importlib.util
import json
import os
import subprocess
import sys
import time

from absl import app
from absl import flags

_WORKDIR = flags.DEFINE_string("workdir", "/tmp/xlm_bench_translate", "Models and sentences.")
_PATHS = flags.DEFINE_list("paths", ["hf", "generate", "saved_model"], "Paths to time.")
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
_NUM_LAYERS = flags.DEFINE_integer("num_layers", 6, "Encoder and decoder layers.")
_HIDDEN_DIM = flags.DEFINE_integer("hidden_dim", 512, "Hidden width.")
_NUM_HEADS = flags.DEFINE_integer("num_heads", 8, "Attention heads.")
_VOCABULARY_SIZE = flags.DEFINE_integer("vocabulary_size", 32000, "Embedding rows.")
_SPM_SIZE = flags.DEFINE_integer("spm_size", 8000, "SentencePiece pieces (at most).")
# One timed path (what the rounds start).
_RUN = flags.DEFINE_string("run", None, "Internal: time one path (hf, generate, saved_model).")
_BEAM = flags.DEFINE_integer("beam", 1, "Internal: --run's beam count.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 32, "Internal: --run's batch size.")

HF_DIR, PRESET_DIR, EXPORT_DIR, SENTENCES_TXT = "hf", "preset", "export", "sentences.txt"
SPM_FILE = "sentencepiece.bpe.model"
MASKED_BIAS = -1e4
PATH_NAMES = {
    "hf": "Hugging Face generate (PyTorch)",
    "generate": "ours generate()",
    "saved_model": "ours SavedModel translate",
}


def prepare(workdir):
    """Make (once) the tokenizer, both random models, the exports and the
    sentences in `workdir`."""
    if os.path.exists(os.path.join(workdir, SENTENCES_TXT)):
        return
    import io

    import sentencepiece as spm

    from xlm_keras.data import corpus

    os.makedirs(os.path.join(workdir, HF_DIR), exist_ok=True)
    files = corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "train")
    lines = [
        line for paths in files.values() for path in paths for line in open(path, encoding="utf-8")
    ]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=_SPM_SIZE.value,
        hard_vocab_limit=False,
        minloglevel=2,
        num_threads=os.cpu_count(),
    )
    with open(os.path.join(workdir, HF_DIR, SPM_FILE), "wb") as f:
        f.write(model.getvalue())
    from xlm_keras.models import XLMTokenizer

    tokenizer = XLMTokenizer(proto=model.getvalue(), id_convention="fairseq")
    unused = [tokenizer.end_token_id] + list(
        range(tokenizer.vocabulary_size(), _VOCABULARY_SIZE.value)
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
    shape = dict(
        vocab_size=_VOCABULARY_SIZE.value,
        hidden_size=_HIDDEN_DIM.value,
        num_hidden_layers=_NUM_LAYERS.value,
        num_attention_heads=_NUM_HEADS.value,
        intermediate_size=4 * _HIDDEN_DIM.value,
        type_vocab_size=1,
        max_position_embeddings=_MAX_SOURCE_LENGTH.value + 2,
    )
    encoder = transformers.XLMRobertaModel(
        transformers.XLMRobertaConfig(**shape), add_pooling_layer=False
    )
    decoder = transformers.XLMRobertaForCausalLM(
        transformers.XLMRobertaConfig(**shape, is_decoder=True, add_cross_attention=True)
    )
    model = transformers.EncoderDecoderModel(encoder=encoder, decoder=decoder)
    model.config.decoder_start_token_id = tokenizer.bos_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    with torch.no_grad():
        model.decoder.lm_head.bias[unused] = MASKED_BIAS
    model.save_pretrained(hf_dir)


def _prepare_ours(workdir, tokenizer, unused):
    import numpy as np

    from xlm_keras import XLMSeq2SeqBackbone
    from xlm_keras import XLMSeq2SeqLM
    from xlm_keras import XLMSeq2SeqLMPreprocessor
    from xlm_keras.keras_hub_internals import lm_head_parts

    backbone = XLMSeq2SeqBackbone(
        vocabulary_size=_VOCABULARY_SIZE.value,
        num_layers=_NUM_LAYERS.value,
        num_heads=_NUM_HEADS.value,
        hidden_dim=_HIDDEN_DIM.value,
        intermediate_dim=4 * _HIDDEN_DIM.value,
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
    model = XLMSeq2SeqLM(backbone, preprocessor=preprocessor)
    bias = np.zeros(_VOCABULARY_SIZE.value, "float32")
    bias[unused] = MASKED_BIAS
    lm_head_parts(model.output_head).bias.assign(bias)
    preset = os.path.join(workdir, PRESET_DIR)
    model.save_to_preset(preset)


def export_missing(workdir, beam_counts):
    """Export the preset once per beam count (those not exported yet)."""
    from xlm_keras.serving import export

    for beams in beam_counts:
        export_base = os.path.join(workdir, EXPORT_DIR, f"beams_{beams}")
        if not os.path.isdir(os.path.join(export_base, "1")):
            export(
                os.path.join(workdir, PRESET_DIR),
                export_base,
                version=1,
                max_sequence_length=_MAX_SOURCE_LENGTH.value,
                max_decode_length=_NEW_TOKENS.value + 1,
                num_beams=beams,
                length_penalty=_LENGTH_PENALTY.value,
                warmup=False,
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
            batch = tokenizer(
                texts,
                padding="longest",
                truncation=True,
                max_length=_MAX_SOURCE_LENGTH.value,
                return_tensors="pt",
            )
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


def saved_model_call(workdir, beams):
    """call(texts) -> strings: the exported `translate` signature, loaded
    with TensorFlow and tf-text's SentencePiece kernels only."""
    import tensorflow as tf

    text_dir = os.path.dirname(importlib.util.find_spec("tensorflow_text").origin)
    tf.load_op_library(os.path.join(text_dir, "python", "ops", "_sentencepiece_tokenizer.so"))
    signature = tf.saved_model.load(
        os.path.join(workdir, EXPORT_DIR, f"beams_{beams}", "1")
    ).signatures["translate"]

    def call(texts):
        return signature(text=tf.constant(texts))["translation"].numpy()

    return call


CALLS = {"hf": hf_call, "generate": generate_call, "saved_model": saved_model_call}


def run_one(workdir, path, beams, size):
    """dict: sentences/s and batch p50 latency of one path in this process."""
    import numpy as np

    with open(os.path.join(workdir, SENTENCES_TXT), encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f]
    call = CALLS[path](workdir, beams)
    batches = max(2, _TIMED_TEXTS.value // size)
    count = _WARMUP.value + batches
    texts = [texts[i % len(texts)] for i in range(size * count)]
    latencies = []
    for i in range(count):
        batch = texts[i * size : (i + 1) * size]
        start = time.perf_counter()
        outputs = call(batch)
        if i >= _WARMUP.value:
            latencies.append(time.perf_counter() - start)
        assert len(outputs) == size
    latencies = np.array(latencies)
    return {
        "sentences_per_s": size * len(latencies) / latencies.sum(),
        "p50_ms": float(np.median(latencies)) * 1e3,
        "batches": len(latencies),
    }


def compare(workdir, paths, beam_counts, batch_sizes, rounds):
    """Rounds of one fresh process per path, beam count and batch size;
    returns the table."""
    import numpy as np

    results = {}
    for round_index in range(rounds):
        for beams in beam_counts:
            for size in batch_sizes:
                for path in paths:
                    process = subprocess.run(
                        [
                            sys.executable,
                            os.path.abspath(__file__),
                            f"--workdir={workdir}",
                            f"--run={path}",
                            f"--beam={beams}",
                            f"--batch_size={size}",
                            *[arg for arg in sys.argv[1:] if not arg.startswith("--workdir")],
                        ],
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    if process.returncode:
                        raise RuntimeError(f"{path} failed: {process.stderr[-3000:]}")
                    report = json.loads(process.stdout.splitlines()[-1])
                    print(
                        f"round {round_index} beams {beams} batch {size} {path}: {report}",
                        file=sys.stderr,
                        flush=True,
                    )
                    results.setdefault((beams, size, path), []).append(report)
    lines = [
        "| decoding | batch | path | sentences/s | vs HF | batch p50 ms | vs HF | runs |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for (beams, size, path), runs in results.items():
        rate = float(np.median([r["sentences_per_s"] for r in runs]))
        p50 = float(np.median([r["p50_ms"] for r in runs]))
        hf = results.get((beams, size, "hf"))
        versus = ("", "")
        if hf:
            versus = (
                f"{rate / np.median([r['sentences_per_s'] for r in hf]):.2f}x",
                f"{p50 / np.median([r['p50_ms'] for r in hf]):.2f}x",
            )
        decoding = "greedy" if beams == 1 else f"beam {beams}"
        lines.append(
            f"| {decoding} | {size} | {PATH_NAMES[path]} | {rate:.2f} | {versus[0]} "
            f"| {p50:.0f} | {versus[1]} | {len(runs)} |"
        )
    return "\n".join(lines)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    workdir = _WORKDIR.value
    if _RUN.value:
        print(json.dumps(run_one(workdir, _RUN.value, _BEAM.value, _BATCH_SIZE.value)))
        return
    prepare(workdir)
    if "saved_model" in _PATHS.value:
        export_missing(workdir, [int(b) for b in _BEAMS.value])
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
