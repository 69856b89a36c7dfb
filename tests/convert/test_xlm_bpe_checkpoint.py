"""A tiny Hugging Face XLM checkpoint with BPE codes learned on the sample
corpus, converted: raw text in `XLMMaskedLM` (predict, fill_mask),
`XLMCausalLM.generate`, a classifier's `fit`, and every `xlm-export`
signature, whose outputs equal the Python model's."""

import shutil

import numpy as np
import pytest
import tensorflow as tf
import transformers

from tests import bpe_fixtures
from tests.convert import reference_models as ref
from tests.convert.test_fairseq_and_xlm_parity import write_xlm_checkpoint
from xlm_keras.convert import convert_checkpoint
from xlm_keras.models import XLMBPETokenizer
from xlm_keras.models import XLMCausalLM
from xlm_keras.models import XLMMaskedLM
from xlm_keras.models import XLMTextClassifier
from xlm_keras.models import XLMTokenizer
from xlm_keras.models.xlm_bpe_tokenizer import SPECIAL_TOKENS
from xlm_keras.serving.exporter import export

LANGUAGES = ["de", "en", "fr"]
TEXTS = {
    "text": [
        "Das Wetter ist heute schön, nicht wahr?",
        "The quick brown fox jumps over the lazy dog.",
        "Où est la gare, s'il vous plaît ?",
    ],
    "language": ["de", "en", "fr"],
}
MASKED = {
    "text": ["Der <mask> ist schön.", "The <mask> jumps over the <mask>.", "Où est la <mask> ?"],
    "language": ["de", "en", "fr"],
}
LENGTH = 24


def _convert(tmp_path, name, bpe_dir, **config):
    """A random tiny `XLMWithLMHeadModel` saved with transformers' tokenizer
    files (lower-cased, as most XLM checkpoints), converted to a preset."""
    reference = bpe_fixtures.hf_tokenizer(bpe_dir, LANGUAGES, lowercase=True)
    config = ref.xlm_config(
        vocab_size=len(reference),
        lang2id={code: i for i, code in enumerate(LANGUAGES)},
        id2lang=dict(enumerate(LANGUAGES)),
        **config,
    )
    hf_dir = tmp_path / f"{name}_hf"
    ref.randomize(transformers.XLMWithLMHeadModel(config)).save_pretrained(hf_dir)
    reference.save_pretrained(hf_dir)
    convert_checkpoint("hf", str(hf_dir), str(tmp_path / name))
    return reference, str(tmp_path / name)


def test_original_xlm_checkpoint_with_codes_beside_it(tmp_path):
    bpe_dir = bpe_fixtures.sample_bpe_files(str(tmp_path / "bpe"))
    with open(f"{bpe_dir}/vocab", encoding="utf-8") as f:
        words = list(SPECIAL_TOKENS) + [line.split(" ")[0] for line in f]
    config = ref.xlm_config(
        vocab_size=len(words),
        lang2id={code: i for i, code in enumerate(LANGUAGES)},
        id2lang=dict(enumerate(LANGUAGES)),
    )
    (tmp_path / "release").mkdir()
    shutil.copy(f"{bpe_dir}/codes", tmp_path / "release" / "codes_xnli_3")
    pth = tmp_path / "release" / "mlm_xnli3.pth"
    write_xlm_checkpoint(transformers.XLMWithLMHeadModel(config), pth, words=words)
    convert_checkpoint("xlm", str(pth), str(tmp_path / "preset"))

    tokenizer = XLMTokenizer.from_preset(str(tmp_path / "preset"))
    assert isinstance(tokenizer, XLMBPETokenizer)
    assert tokenizer.languages == LANGUAGES and tokenizer.lowercase_and_remove_accent
    reference = bpe_fixtures.hf_tokenizer(bpe_dir, LANGUAGES, lowercase=True)
    expected = [
        reference.convert_tokens_to_ids(reference._tokenize(text, lang=code))
        for text, code in zip(TEXTS["text"], TEXTS["language"])
    ]
    assert tokenizer.tokenize(TEXTS["text"], TEXTS["language"]).to_list() == expected


@pytest.mark.slow
def test_converted_xlm_bpe_checkpoint_takes_raw_text_everywhere(tmp_path):
    bpe_dir = bpe_fixtures.sample_bpe_files(str(tmp_path / "bpe"))
    reference, preset = _convert(tmp_path, "mlm", bpe_dir)

    masked_lm = XLMMaskedLM.from_preset(preset)
    tokenizer = masked_lm.preprocessor.tokenizer
    assert isinstance(tokenizer, XLMBPETokenizer) and tokenizer.lowercase_and_remove_accent
    packed = masked_lm.preprocessor.pack(TEXTS["text"], language=TEXTS["language"])
    for row, (text, code) in enumerate(zip(TEXTS["text"], TEXTS["language"])):
        ids = reference.convert_tokens_to_ids(reference._tokenize(text, lang=code))
        # XLM's frame `</s> x </s>`; transformers' pieces in between.
        expected = [tokenizer.end_token_id, *ids, tokenizer.end_token_id]
        assert packed["token_ids"][row, : len(expected)].numpy().tolist() == expected
    filled = masked_lm.fill_mask(MASKED)
    assert [len(row) for row in filled] == [1, 2, 1]
    assert masked_lm.predict(TEXTS, verbose=0).shape[0] == 3

    _, causal_preset = _convert(tmp_path, "clm", bpe_dir, causal=True)
    causal_lm = XLMCausalLM.from_preset(causal_preset)
    generated = causal_lm.generate({"text": ["le chat"], "language": ["fr"]}, max_length=8)
    assert np.asarray(generated).shape == (1,)

    classifier = XLMTextClassifier.from_preset(preset, num_classes=2)
    history = classifier.fit(TEXTS, np.array([0, 1, 0]), batch_size=3, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])

    # The op audit runs in `export`: no Python callback, no other custom op.
    saved = tf.saved_model.load(
        export(preset, str(tmp_path / "served"), max_sequence_length=LENGTH)
    )
    request = {key: tf.constant(value) for key, value in TEXTS.items()}
    served = saved.signatures["tokenize"](**request)
    python = masked_lm.preprocessor.pack(
        TEXTS["text"], language=TEXTS["language"], sequence_length=LENGTH
    )
    width = served["token_ids"].shape[1]
    np.testing.assert_array_equal(served["token_ids"], python["token_ids"][:, :width])
    np.testing.assert_array_equal(served["language_ids"], python["language_ids"][:, :width])

    python_inputs = masked_lm.preprocessor.model_inputs(python)
    hidden = masked_lm.backbone(python_inputs).numpy()
    mask = python_inputs["padding_mask"].numpy()[..., None]
    mean = (hidden * mask).sum(1) / mask.sum(1)
    np.testing.assert_allclose(saved.signatures["embed"](**request)["embedding"], mean, atol=1e-5)

    served_fill = saved.signatures["fill_mask"](
        **{key: tf.constant(value) for key, value in MASKED.items()}
    )
    for row, masks in enumerate(filled):
        for column, candidates in enumerate(masks):
            tokens = [t.decode() for t in served_fill["top_k_tokens"][row, column].numpy()]
            assert tokens == [token for token, _ in candidates]
            np.testing.assert_allclose(
                served_fill["top_k_scores"][row, column],
                [score for _, score in candidates],
                atol=1e-5,
            )
