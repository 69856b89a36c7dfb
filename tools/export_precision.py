"""What a reduced-precision `translate` export costs in quality and gains
in speed, against the float32 export of the same preset.

  python tools/export_precision.py --preset=$W/mt/preset \
      --corpus_dir=~/.cache/xlm_keras/corpus --workdir=/tmp/export_precision

Exports `--preset` twice into `--workdir` (made once, then reused): the
default float32 export and `--decoder_dtype=bfloat16` (greedy,
`--max_decode_length`). Each is loaded as a server loads it (TensorFlow
and tf-text's SentencePiece kernels only) and translates the `--split`
pairs of `--corpus_dir` in both directions, in batches of `--batch_size`.
Prints per direction and export: sacrebleu BLEU and chrF, the share of
translations identical to float32's and the share of identical output
tokens (SentencePiece pieces, position by position over the longer of the
two), and the seconds each export took.

`--ct2`: also the preset's CTranslate2 export (`export_ctranslate2`,
float32 weights, in `--workdir`/ct2) run with `compute_type` float32 and
int8 (`ct2_float32`, `ct2_int8`; greedy, sources framed and cut as the
export's README says, `--max_decode_length` counting the start token as
the SavedModel's does), against the same float32 SavedModel.
"""

import json
import os
import time

import bench_common
from absl import app
from absl import flags

_PRESET = flags.DEFINE_string("preset", None, "Translation preset (XLMSeq2SeqLM).")
_CORPUS_DIR = flags.DEFINE_string("corpus_dir", None, "Corpus with parallel/<l1>-<l2>.<split>.tsv.")
_SPLIT = flags.DEFINE_string("split", "test", "Corpus split to translate.")
_PAIRS = flags.DEFINE_list("pairs", None, "Language pairs to translate (e.g. en-fr); default all.")
_WORKDIR = flags.DEFINE_string("workdir", "/tmp/xlm_export_precision", "The two exports.")
_MAX_DECODE_LENGTH = flags.DEFINE_integer("max_decode_length", 128, "Longest translation.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 32, "Sentences per call.", lower_bound=1)

_CT2 = flags.DEFINE_bool("ct2", False, "Also CTranslate2 float32 and int8 (see above).")
DTYPES = ("float32", "bfloat16")
_DTYPES = flags.DEFINE_multi_enum(
    "dtypes", list(DTYPES), DTYPES, "SavedModel exports to score (float32 always runs)."
)
CT2_COMPUTE_TYPES = ("float32", "int8")


def exported(preset, workdir, dtype):
    """The version directory of `preset` exported with `dtype` decoding
    (made if missing)."""
    from xlm_keras.serving import export

    base = os.path.join(workdir, dtype)
    if os.path.isdir(os.path.join(base, "1")):
        return os.path.join(base, "1")
    return export(
        preset,
        base,
        version=1,
        max_decode_length=_MAX_DECODE_LENGTH.value,
        warmup=False,
        decoder_dtype=dtype,
    )


def test_pairs(corpus_dir, split):
    """{(l1, l2): [(l1 text, l2 text)]} of the corpus split."""
    from xlm_keras.data import corpus
    from xlm_keras.data.readers import CorpusStats
    from xlm_keras.data.readers import read_tsv_pairs

    stats = CorpusStats()
    return {
        pair: [p for path in paths for p in read_tsv_pairs(path, stats)]
        for pair, paths in corpus.parallel_files(os.path.expanduser(corpus_dir), split).items()
    }


def translate_all(signature, sources, source_language, target_language, batch_size):
    """translations [str] of `sources` through `signature`."""
    import tensorflow as tf

    translations = []
    for i in range(0, len(sources), batch_size):
        batch = sources[i : i + batch_size]
        inputs = {"text": tf.constant(batch)}
        if "source_language" in signature.structured_input_signature[1]:
            inputs["source_language"] = tf.constant([source_language] * len(batch))
            inputs["target_language"] = tf.constant([target_language] * len(batch))
        outputs = signature(**inputs)["translation"].numpy()
        translations += [text.decode("utf-8") for text in outputs]
    return translations


def ct2_translators(preset, workdir):
    """{path name: translate(sources, source_language, target_language) ->
    [str]} of the preset's CTranslate2 export, per compute type."""
    import ctranslate2
    import sentencepiece

    from xlm_keras.models import XLMSeq2SeqLMPreprocessor
    from xlm_keras.serving import export_ctranslate2
    from xlm_keras.serving.to_ctranslate2 import SENTENCEPIECE_FILE
    from xlm_keras.text.packing import sentence_frame

    ct2_dir = os.path.join(workdir, "ct2")
    if not os.path.isdir(ct2_dir):
        export_ctranslate2(preset, ct2_dir)
    preprocessor = XLMSeq2SeqLMPreprocessor.from_preset(preset)
    tokenizer = preprocessor.tokenizer
    start, end = map(tokenizer.id_to_token, sentence_frame(preprocessor.frame, tokenizer))
    longest = preprocessor.encoder_sequence_length - 2
    pieces = sentencepiece.SentencePieceProcessor(
        model_file=os.path.join(ct2_dir, SENTENCEPIECE_FILE)
    )
    special = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"}

    def translator(compute_type):
        loaded = {}

        def translate(sources, source_language, target_language):
            direction = f"{source_language}-{target_language}"
            model_dir = os.path.join(ct2_dir, direction)
            model_dir = model_dir if os.path.isdir(model_dir) else ct2_dir
            if model_dir not in loaded:
                loaded[model_dir] = ctranslate2.Translator(
                    model_dir, device="cpu", compute_type=compute_type
                )
            framed = [[start, *row[:longest], end] for row in pieces.encode(sources, out_type=str)]
            results = loaded[model_dir].translate_batch(
                framed,
                beam_size=1,
                max_batch_size=_BATCH_SIZE.value,
                max_decoding_length=_MAX_DECODE_LENGTH.value - 1,
            )
            return [
                pieces.decode([p for p in r.hypotheses[0] if p not in special]) for r in results
            ]

        return translate

    return {f"ct2_{compute_type}": translator(compute_type) for compute_type in CT2_COMPUTE_TYPES}


def signature_translator(signature):
    """translate(sources, source_language, target_language) -> [str] of a
    SavedModel `translate` signature, in batches of `--batch_size`."""
    return lambda *args: translate_all(signature, *args, _BATCH_SIZE.value)


def token_agreement(pieces, hypotheses, baseline):
    """Share of output pieces equal to the baseline's at the same position,
    over the longer of each pair."""
    same = total = 0
    for hypothesis, base in zip(hypotheses, baseline):
        a, b = pieces.encode(hypothesis, out_type=str), pieces.encode(base, out_type=str)
        same += sum(x == y for x, y in zip(a, b))
        total += max(len(a), len(b), 1)
    return same / total


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    if not _PRESET.value or not _CORPUS_DIR.value:
        raise app.UsageError("Pass --preset and --corpus_dir.")
    import sentencepiece

    from xlm_keras.translation.evaluation import corpus_scores

    dtypes = [dtype for dtype in DTYPES if dtype == DTYPES[0] or dtype in _DTYPES.value]
    exports = {dtype: exported(_PRESET.value, _WORKDIR.value, dtype) for dtype in dtypes}
    translators = {
        dtype: signature_translator(bench_common.load_saved_model(path).signatures["translate"])
        for dtype, path in exports.items()
    }
    if _CT2.value:
        translators.update(ct2_translators(_PRESET.value, _WORKDIR.value))
    pieces = sentencepiece.SentencePieceProcessor(
        model_file=os.path.join(exports[DTYPES[0]], "assets", "vocabulary.spm")
    )
    report = {}
    for (first, second), pairs in test_pairs(_CORPUS_DIR.value, _SPLIT.value).items():
        if _PAIRS.value and f"{first}-{second}" not in _PAIRS.value:
            continue
        for source, target, column in ((first, second, 0), (second, first, 1)):
            sources = [pair[column] for pair in pairs]
            references = [pair[1 - column] for pair in pairs]
            outputs = {}
            for dtype, translate in translators.items():
                start = time.perf_counter()
                translations = translate(sources, source, target)
                seconds = time.perf_counter() - start
                scores, _ = corpus_scores(translations, references)
                outputs[dtype] = translations
                report[f"{source}-{target} {dtype}"] = {
                    **{name: round(value, 2) for name, value in scores.items()},
                    "seconds": round(seconds, 1),
                    "identical_translations": round(
                        sum(a == b for a, b in zip(translations, outputs[DTYPES[0]]))
                        / len(sources),
                        4,
                    ),
                    "identical_tokens": round(
                        token_agreement(pieces, translations, outputs[DTYPES[0]]), 4
                    ),
                    "sentences": len(sources),
                }
                print(f"{source}-{target} {dtype}: {report[f'{source}-{target} {dtype}']}")
    print(json.dumps(report))


if __name__ == "__main__":
    app.run(main)
