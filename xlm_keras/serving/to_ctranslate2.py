"""`export_ctranslate2`: an `XLMSeq2SeqLM` preset as a CTranslate2 model
directory (`ctranslate2.Translator`), with its SentencePiece model and a
README of how to call it.

CTranslate2's `TransformerSpec` has no language embeddings, so a model
with them is written as one CTranslate2 model per direction
(`<output_dir>/<source>-<target>/`), each with the source language's row
folded into the encoder's position table and the target language's into
the decoder's: the same sums, so the same model (`ctranslate2_spec`).
A model without language embeddings is one CTranslate2 model in
`output_dir` itself. Float32 greedy ids equal `XLMSeq2SeqLM.generate`'s.
"""

import itertools
import os
import shutil

from xlm_keras.models.load_model import load_model
from xlm_keras.models.xlm_seq2seq_lm import XLMSeq2SeqLM
from xlm_keras.serving.ctranslate2_spec import ctranslate2_spec
from xlm_keras.text.packing import sentence_frame

# CTranslate2's weight types (`--quantization`); None keeps float32.
QUANTIZATIONS = (
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)
SENTENCEPIECE_FILE = "sentencepiece.model"
README_FILE = "README.md"


def export_ctranslate2(preset_dir, output_dir, *, quantization=None, directions=None):
    """Write the `XLMSeq2SeqLM` preset in `preset_dir` as CTranslate2 to
    `output_dir` (missing or empty) and return `output_dir`.

    Args:
        preset_dir: a translation preset (`xlm-train` of a `translation`
            config, `save_to_preset`).
        output_dir: the model directory to write.
        quantization: one of `QUANTIZATIONS` (weights stored so), or None
            (float32).
        directions: with language embeddings, `["en-fr", ...]` to write
            (default: every ordered pair of the tokenizer's languages);
            must be None for a model without them.
    """
    ctranslate2 = import_ctranslate2()
    if quantization is not None and quantization not in QUANTIZATIONS:
        raise ValueError(
            f"quantization={quantization!r} is not a CTranslate2 weight type; pass one of "
            f"{list(QUANTIZATIONS)}, or none for float32."
        )
    if os.path.isdir(output_dir) and os.listdir(output_dir):
        raise ValueError(
            f"{output_dir!r} is not empty; pass a new or empty directory for the CTranslate2 model."
        )
    model = load_model(preset_dir)
    _check_convertible(model, preset_dir)
    tokenizer = model.preprocessor.tokenizer
    pairs = direction_pairs(model, directions)
    staging = f"{output_dir.rstrip(os.sep)}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    vocabulary = token_vocabulary(model)
    start_id, _ = sentence_frame(model.preprocessor.frame, tokenizer)
    for source, target in pairs:
        ids = (None, None) if source is None else map(tokenizer.language_id, (source, target))
        source_id, target_id = ids
        spec = ctranslate2_spec(
            model, vocabulary, source_language_id=source_id, target_language_id=target_id
        )
        spec.config.decoder_start_token = vocabulary[start_id]
        spec.validate()
        spec.optimize(quantization=quantization)
        model_dir = os.path.join(staging, "" if source is None else f"{source}-{target}")
        os.makedirs(model_dir, exist_ok=True)
        spec.save(model_dir)
    with open(os.path.join(staging, SENTENCEPIECE_FILE), "wb") as f:
        f.write(tokenizer.proto)
    with open(os.path.join(staging, README_FILE), "w", encoding="utf-8") as f:
        f.write(readme(model, pairs, quantization, ctranslate2.__version__))
    os.replace(staging, output_dir)
    return output_dir


def import_ctranslate2():
    """The `ctranslate2` module, or an ImportError saying how to install it."""
    try:
        import ctranslate2
    except ImportError:
        raise ImportError(
            'CTranslate2 export needs the ctranslate2 package: pip install "xlm-keras[bench]" '
            "(or pip install ctranslate2)."
        ) from None
    return ctranslate2


def _check_convertible(model, preset_dir):
    """Refuse, in one line, what a `TransformerSpec` cannot hold exactly."""
    if not isinstance(model, XLMSeq2SeqLM):
        raise ValueError(
            f"{preset_dir!r} holds a {type(model).__name__}; CTranslate2 export takes an "
            "XLMSeq2SeqLM (translation) preset. Use --format=saved_model or transformers."
        )
    if model.lm_head != "xlm":
        raise ValueError(
            f"{preset_dir!r} has the {model.lm_head!r} output head (dense, GELU and LayerNorm "
            "before the projection), which CTranslate2's TransformerSpec cannot hold; only the "
            "'xlm' head (tied projection + bias) converts exactly."
        )
    if model.preprocessor is None:
        raise ValueError(
            f"{preset_dir!r} has no tokenizer; CTranslate2 export writes its SentencePiece "
            "model. Export a preset saved with its preprocessor."
        )


def direction_pairs(model, directions):
    """[(source, target)] codes to write, or [(None, None)] for a model
    without language embeddings (one model for every direction it knows)."""
    languages = model.preprocessor.tokenizer.languages
    if not model.backbone.has_language_embedding:
        if directions:
            raise ValueError(
                f"directions={directions!r}: this model has no language embeddings, so one "
                "CTranslate2 model serves it; pass no directions."
            )
        return [(None, None)]
    if not directions:
        return list(itertools.permutations(languages, 2))
    pairs = [tuple(direction.split("-")) for direction in directions]
    for direction, pair in zip(directions, pairs):
        if len(pair) != 2 or not set(pair) <= set(languages):
            raise ValueError(
                f"direction {direction!r} is not <source>-<target> with codes among "
                f"{languages}; e.g. {languages[0]}-{languages[-1]}."
            )
    return pairs


def token_vocabulary(model):
    """[str] one token per row of `model`'s token table: its tokenizer's
    vocabulary in id order, then unique filler tokens (rows no piece
    reaches)."""
    vocabulary = model.preprocessor.tokenizer.get_vocabulary()
    pieces = set(vocabulary)
    fillers = (f"<filler_{i}>" for i in itertools.count())
    while len(vocabulary) < model.backbone.vocabulary_size:
        filler = next(fillers)
        if filler not in pieces:
            vocabulary.append(filler)
    return vocabulary


def readme(model, pairs, quantization, version):
    """README.md text of an export: layout, framing, languages, a call."""
    preprocessor = model.preprocessor
    tokenizer = preprocessor.tokenizer
    start_id, end_id = sentence_frame(preprocessor.frame, tokenizer)
    start, end = tokenizer.id_to_token(start_id), tokenizer.id_to_token(end_id)
    longest = preprocessor.encoder_sequence_length
    table_rows = model.backbone.max_sequence_length
    if pairs == [(None, None)]:
        layout = (
            "This directory is one CTranslate2 model. The model has no language embeddings: "
            "it writes the language it was trained to write."
        )
        model_dir = "model_dir"
    else:
        names = ", ".join(f"`{source}-{target}/`" for source, target in pairs)
        layout = (
            "The model has language embeddings, which CTranslate2's Transformer has not: each "
            f"direction is its own CTranslate2 model ({names}), with the source language's "
            "embedding added to the encoder's position table and the target language's to the "
            "decoder's (the same sums as the Keras model). Pick the directory of the direction; "
            "no language codes go into the text."
        )
        model_dir = f"model_dir/{pairs[0][0]}-{pairs[0][1]}"
    weights = quantization or "float32"
    return f"""# CTranslate2 export of an XLM-family translation model

Written by `xlm-export --format=ctranslate2` (CTranslate2 {version}, weights {weights}).

{layout}

- Tokens: `{SENTENCEPIECE_FILE}` (the `sentencepiece` package) splits text into pieces;
  pieces outside the vocabulary become `<unk>`, as in Keras.
- Source: `["{start}", *pieces[:{longest - 2}], "{end}"]` (at most {longest} tokens, as the
  Keras preprocessor cuts).
- Target: the decoder starts from `{start}` (set in the model's config) and ends at `{end}`;
  translations plus the start token fit in {table_rows} positions (`max_decoding_length`).
- Output: drop the special pieces (`<s>`, `<pad>`, `</s>`, `<unk>`, `<mask>`) and decode the
  rest with `sentencepiece`.

```python
import ctranslate2
import sentencepiece

pieces = sentencepiece.SentencePieceProcessor(model_file="model_dir/{SENTENCEPIECE_FILE}")
translator = ctranslate2.Translator("{model_dir}", device="cpu")
sources = [["{start}", *row[:{longest - 2}], "{end}"]
           for row in pieces.encode(["Hello world."], out_type=str)]
results = translator.translate_batch(sources, beam_size=4, max_decoding_length={table_rows - 1})
special = {{"<s>", "<pad>", "</s>", "<unk>", "<mask>"}}
print([pieces.decode([p for p in r.hypotheses[0] if p not in special]) for r in results])
```

`compute_type="int8"` (or `int8_float32`, ...) quantises float32 weights when loading;
`beam_size=1` is greedy decoding, whose float32 ids equal `XLMSeq2SeqLM.generate`'s.
"""
