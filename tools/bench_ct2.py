"""CTranslate2 for tools/bench_translate.py: our `XLMSeq2SeqLM` preset
exported to CTranslate2 (`xlm_keras.serving.export_ctranslate2`), checked
to be the same model, and translated with.

`convert_checked` exports the preset once in float32 and keeps it only
when CT2's float32 greedy ids equal `XLMSeq2SeqLM.generate`'s on a few
sentences. `translator_call` tokenises with the `sentencepiece` package,
frames sources as ours (`<s> x </s>`), runs `Translator.translate_batch`
on the CPU (default threads, one translation at a time) with
`compute_type` float32 or int8 (weights quantised when loaded) and
detokenises with `sentencepiece`.

CTranslate2 4.8 (`ctranslate2` in the `bench` extra), imported only when
used. The tools import this module as a neighbour (`import bench_ct2`).
"""

import os
import shutil

import numpy as np

# Pieces our detokenisation drops (`XLMTokenizer.special_token_ids`).
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
# Sentences on which CTranslate2's greedy ids must equal ours.
CHECK_TEXTS = 4


def convert_checked(preset_dir, spm_file, texts, new_tokens, output_dir):
    """Export the preset in `preset_dir` to CTranslate2 in `output_dir`
    (float32), kept only once CT2's greedy ids of the first `CHECK_TEXTS`
    of `texts` equal ours (`check_ct2_matches`, `new_tokens` each).
    `spm_file`: the SentencePiece model of the preset's tokenizer."""
    import sentencepiece

    from xlm_keras import XLMSeq2SeqLM
    from xlm_keras.serving import export_ctranslate2

    staging = f"{output_dir}.unchecked"
    shutil.rmtree(staging, ignore_errors=True)
    export_ctranslate2(preset_dir, staging)
    model = XLMSeq2SeqLM.from_preset(preset_dir)
    processor = sentencepiece.SentencePieceProcessor(model_file=spm_file)
    check_ct2_matches(model, staging, processor, texts[:CHECK_TEXTS], new_tokens)
    os.replace(staging, output_dir)


def check_ct2_matches(model, ct2_dir, processor, texts, new_tokens):
    """Raise unless CTranslate2's float32 greedy ids of `texts` equal
    `model`'s (`ours_greedy_ids`): the conversion in `ct2_dir` is the same
    model. `processor`: the `sentencepiece` model of `model`'s tokenizer."""
    import ctranslate2

    from xlm_keras.serving.to_ctranslate2 import token_vocabulary

    vocabulary = token_vocabulary(model)
    translator = ctranslate2.Translator(ct2_dir, device="cpu", compute_type="float32")
    sources = ct2_sources(processor, texts, model.preprocessor.encoder_sequence_length)
    ids = {token: i for i, token in enumerate(vocabulary)}
    theirs = np.array(
        [[ids[t] for t in pieces] for pieces in ct2_translate(translator, sources, 1, new_tokens)]
    )
    ours = ours_greedy_ids(model, texts, new_tokens)
    for text, row, ct2_row in zip(texts, ours, theirs):
        if not np.array_equal(row, ct2_row):
            raise RuntimeError(
                f"CTranslate2's float32 greedy ids differ from XLMSeq2SeqLM.generate's on "
                f"{text!r}: ours {row.tolist()}, CTranslate2 {ct2_row.tolist()}. The conversion "
                f"in {ct2_dir} is not the same model (see xlm_keras.serving.ctranslate2_spec)."
            )


def ours_greedy_ids(model, texts, new_tokens):
    """int32 [batch, new_tokens]: `model`'s greedy ids after the start token."""
    from keras_hub.samplers import GreedySampler

    inputs = model.preprocessor.generate_preprocess(texts, sequence_length=new_tokens + 1)
    outputs = model.generate_step(inputs, stop_token_ids=None, sampler=GreedySampler())
    return np.asarray(outputs["decoder_token_ids"])[:, 1:]


def ct2_sources(processor, texts, max_source_length):
    """Source pieces framed as ours, `<s> x </s>` with x cut to fit
    `max_source_length`; a piece outside the vocabulary is CT2's `<unk>`,
    as ours."""
    pieces = processor.encode(texts, out_type=str)
    return [["<s>", *row[: max_source_length - 2], "</s>"] for row in pieces]


def ct2_translate(translator, sources, beams, new_tokens, length_penalty=1.0):
    """Output pieces [batch][new_tokens] of `translator.translate_batch`:
    CT2's `min_decoding_length` counts the tokens before `</s>`,
    `max_decoding_length` counts `</s>` too, neither the start token; both at
    `new_tokens` decode exactly that many (and no `</s>`)."""
    results = translator.translate_batch(
        sources,
        beam_size=beams,
        length_penalty=length_penalty,
        min_decoding_length=new_tokens,
        max_decoding_length=new_tokens,
    )
    hypotheses = [result.hypotheses[0] for result in results]
    assert all(len(pieces) == new_tokens for pieces in hypotheses), [len(h) for h in hypotheses]
    return hypotheses


def ct2_detokenize(processor, pieces):
    """Text of output pieces, special ones dropped (as ours)."""
    return processor.decode([piece for piece in pieces if piece not in SPECIAL_PIECES])


def translator_call(
    ct2_dir, spm_file, beams, compute_type, max_source_length, new_tokens, length_penalty
):
    """call(texts) -> strings: `sentencepiece` pieces framed as ours (cut to
    `max_source_length`), a CTranslate2 `Translator` of `ct2_dir` on the CPU
    (default threads) with `compute_type` decoding `new_tokens` with `beams`,
    `sentencepiece` detokenisation."""
    import ctranslate2
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=spm_file)
    translator = ctranslate2.Translator(
        ct2_dir, device="cpu", compute_type=compute_type, inter_threads=1
    )

    def call(texts):
        sources = ct2_sources(processor, texts, max_source_length)
        outputs = ct2_translate(translator, sources, beams, new_tokens, length_penalty)
        return [ct2_detokenize(processor, pieces) for pieces in outputs]

    return call
