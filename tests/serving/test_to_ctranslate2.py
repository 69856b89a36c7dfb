"""`export_ctranslate2` writes the same model: CTranslate2's float32 greedy
ids equal `XLMSeq2SeqLM.generate`'s on tiny random translators of three
layouts (XLM-R positions and filler rows past the tokenizer; XLM with
language embeddings, sinusoidal positions and the `</s> x </s>` frame, one
model per direction; pre-LN with ReLU), sources cut as ours; the console
script writes int8 weights for the directions asked. What a
`TransformerSpec` cannot hold is refused in one line."""

import os

import numpy as np
import pytest

from tests.helpers import FAMILIES
from tests.helpers import TINY

NEW_TOKENS = 10
SOURCE_LENGTH = 16
TEXTS = [
    "Hello world!",
    "Le café est très chaud ce matin.",
    "Der Hund schläft. ☃ is not a piece.",
    # Longer than SOURCE_LENGTH pieces: both sides cut it.
    "The quick brown fox jumps over the lazy dog, and the cat sleeps on the warm window sill.",
]
LAYOUTS = {
    "roberta": dict(FAMILIES["roberta"], extra_rows=6),
    "xlm_languages": dict(FAMILIES["xlm"], extra_rows=0),
    "prenorm_relu": dict(FAMILIES["roberta_prenorm"], activation="relu", extra_rows=0),
}


def tiny_preset(tokenizer, directory, *, extra_rows, lm_head="xlm", **config):
    """Save a tiny `XLMSeq2SeqLM` of `config` to `directory`: `extra_rows`
    token rows past the tokenizer, weights spread (so that each source
    translates differently) and `</s>` and the extra rows masked in the
    output bias (every row decodes `NEW_TOKENS` tokens)."""
    from xlm_keras import XLMSeq2SeqBackbone
    from xlm_keras import XLMSeq2SeqLM
    from xlm_keras import XLMSeq2SeqLMPreprocessor

    backbone = XLMSeq2SeqBackbone(
        **{**TINY, "num_heads": 4, "hidden_dim": 32, "intermediate_dim": 64},
        **config,
        vocabulary_size=tokenizer.vocabulary_size() + extra_rows,
    )
    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer, encoder_sequence_length=SOURCE_LENGTH, decoder_sequence_length=NEW_TOKENS + 1
    )
    model = XLMSeq2SeqLM(backbone, preprocessor=preprocessor, lm_head=lm_head)
    rng = np.random.default_rng(0)
    model.set_weights(
        [w * 25 if w.ndim > 1 else w + rng.normal(0, 0.1, w.shape) for w in model.get_weights()]
    )
    if lm_head == "xlm":
        bias = model.output_head.bias.numpy()
        bias[[tokenizer.end_token_id, *range(tokenizer.vocabulary_size(), len(bias))]] = -1e4
        model.output_head.bias.assign(bias)
    model.save_to_preset(str(directory))
    return model


def make_tokenizer(layout, tokenizer_dir, fairseq_model_file):
    from xlm_keras.models import XLMTokenizer

    if layout == "xlm_languages":
        return XLMTokenizer.from_preset(tokenizer_dir)  # de, en, fr.
    return XLMTokenizer(proto=fairseq_model_file, id_convention="fairseq")


def ct2_greedy_pieces(model_dir, spm_file, frame, texts):
    """[batch][NEW_TOKENS] pieces: CTranslate2's float32 greedy output of
    `texts` framed `frame` (start, end) as the export's README says."""
    import ctranslate2
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=spm_file)
    start, end = frame
    sources = [
        [start, *row[: SOURCE_LENGTH - 2], end] for row in processor.encode(texts, out_type=str)
    ]
    translator = ctranslate2.Translator(model_dir, device="cpu", compute_type="float32")
    results = translator.translate_batch(
        sources, beam_size=1, min_decoding_length=NEW_TOKENS, max_decoding_length=NEW_TOKENS
    )
    return [result.hypotheses[0] for result in results]


def ours_greedy_ids(model, inputs):
    from keras_hub.samplers import GreedySampler

    packed = model.preprocessor.generate_preprocess(inputs, sequence_length=NEW_TOKENS + 1)
    outputs = model.generate_step(packed, stop_token_ids=None, sampler=GreedySampler())
    return np.asarray(outputs["decoder_token_ids"])[:, 1:]


@pytest.mark.slow
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_float32_greedy_ids_equal_generate(layout, tokenizer_dir, fairseq_model_file, tmp_path):
    from xlm_keras.serving import export_ctranslate2
    from xlm_keras.serving.to_ctranslate2 import token_vocabulary

    tokenizer = make_tokenizer(layout, tokenizer_dir, fairseq_model_file)
    model = tiny_preset(tokenizer, tmp_path / "preset", **LAYOUTS[layout])
    output = str(tmp_path / "ct2")
    assert export_ctranslate2(str(tmp_path / "preset"), output) == output
    spm_file = f"{output}/sentencepiece.model"
    if layout == "xlm_languages":
        frame = ("</s>", "</s>")
        directions = ["de-en", "de-fr", "en-de", "en-fr", "fr-de", "fr-en"]
        assert sorted(os.listdir(output)) == ["README.md", *directions, "sentencepiece.model"]
        runs = [
            (f"{output}/{d}", {"source": TEXTS, "source_language": d[:2], "target_language": d[3:]})
            for d in ("en-fr", "fr-de")
        ]
    else:
        frame = ("<s>", "</s>")
        assert {"README.md", "sentencepiece.model", "model.bin"} <= set(os.listdir(output))
        runs = [(output, {"source": TEXTS})]
    vocabulary = token_vocabulary(model)
    translations = set()
    for ct2_dir, inputs in runs:
        ours = [[vocabulary[i] for i in row] for row in ours_greedy_ids(model, inputs)]
        assert ct2_greedy_pieces(ct2_dir, spm_file, frame, TEXTS) == ours
        translations |= {tuple(row) for row in ours}
    assert len(translations) > len(runs)  # Sources (and directions) translate differently.
    readme = (tmp_path / "ct2" / "README.md").read_text()
    assert f'["{frame[0]}", *pieces[:{SOURCE_LENGTH - 2}], "{frame[1]}"]' in readme


@pytest.mark.slow
def test_console_script_writes_int8_directions(tokenizer_dir, tmp_path):
    import subprocess

    from xlm_keras.models import XLMTokenizer

    model = tiny_preset(
        XLMTokenizer.from_preset(tokenizer_dir), tmp_path / "preset", **LAYOUTS["xlm_languages"]
    )
    output = tmp_path / "ct2"
    command = ["xlm-export", f"--preset={tmp_path / 'preset'}", f"--export_dir={output}"]
    command += ["--format=ctranslate2", "--quantization=int8", "--directions=en-fr,fr-de"]
    subprocess.run(command, check=True, cwd=tmp_path, capture_output=True)
    assert sorted(os.listdir(output)) == ["README.md", "en-fr", "fr-de", "sentencepiece.model"]
    float32_bytes = 4 * model.count_params()
    assert os.path.getsize(output / "en-fr" / "model.bin") < float32_bytes / 2
    assert "weights int8" in (output / "README.md").read_text()
    pieces = ct2_greedy_pieces(
        str(output / "fr-de"), str(output / "sentencepiece.model"), ("</s>", "</s>"), TEXTS
    )
    assert [len(row) for row in pieces] == [NEW_TOKENS] * len(TEXTS)


@pytest.mark.slow
def test_refuses_what_ctranslate2_cannot_hold(fairseq_model_file, pretrained, tmp_path):
    from xlm_keras.models import XLMTokenizer
    from xlm_keras.serving import export_ctranslate2

    tokenizer = XLMTokenizer(proto=fairseq_model_file, id_convention="fairseq")
    tiny_preset(tokenizer, tmp_path / "roberta_head", lm_head="roberta", extra_rows=0)
    with pytest.raises(ValueError, match="'roberta' output head .* cannot hold"):
        export_ctranslate2(str(tmp_path / "roberta_head"), str(tmp_path / "out"))
    with pytest.raises(ValueError, match="quantization='int4' is not a CTranslate2 weight type"):
        export_ctranslate2(
            str(tmp_path / "roberta_head"), str(tmp_path / "out"), quantization="int4"
        )
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("")
    with pytest.raises(ValueError, match="is not empty"):
        export_ctranslate2(str(tmp_path / "roberta_head"), str(tmp_path / "full"))
    with pytest.raises(ValueError, match="takes an XLMSeq2SeqLM"):
        export_ctranslate2(pretrained, str(tmp_path / "out"))
    assert not os.path.exists(tmp_path / "out")
