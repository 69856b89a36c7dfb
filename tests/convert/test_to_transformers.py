"""`export_transformers` against transformers itself: its tokenizer gives
our ids on raw text, its model our logits, and `xlm-convert --source=hf`
reads the export back to identical weights."""

import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.bpe_fixtures import sample_bpe_files
from tests.helpers import tiny_seq2seq
from tests.sentencepiece_fixtures import SENTENCES
from xlm_keras import XLMBackbone
from xlm_keras import XLMCausalLM
from xlm_keras import XLMMaskedLM
from xlm_keras import XLMSpanQA
from xlm_keras import XLMTextClassifier
from xlm_keras import XLMTokenClassifier
from xlm_keras.convert import convert_checkpoint
from xlm_keras.convert import export_transformers
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import load_model
from xlm_keras.models.xlm_bpe_tokenizer import XLMBPETokenizer

TOLERANCE = 1e-4
TEXTS = [SENTENCES["en"][1], SENTENCES["fr"][12], SENTENCES["ru"][0], SENTENCES["zh"][3]]
LANGUAGES = ["en", "fr", "ru", "zh"]
LABELS = ["negative", "neutral", "positive"]
XLM = dict(position_offset=0, normalize_first=False, intermediate_dim=64)
XLM_R = dict(position_offset=2, use_language_embedding=False, num_languages=1)
# name -> (tokenizer id convention, backbone arguments, task, task arguments,
# the transformers class the export must load as).
CASES = {
    "xlm_mlm_languages": (
        "native",
        dict(XLM, num_languages=4, use_language_embedding=True),
        XLMMaskedLM,
        {"lm_head": "xlm"},
        "XLMWithLMHeadModel",
    ),
    "xlm_mlm_bpe": (
        "bpe",
        dict(XLM, num_languages=4, use_language_embedding=True),
        XLMMaskedLM,
        {"lm_head": "xlm"},
        "XLMWithLMHeadModel",
    ),
    "xlm_clm_sinusoidal": (
        "native",
        dict(XLM, num_languages=1, position_embedding="sinusoidal", causal=True),
        XLMCausalLM,
        {},
        "XLMWithLMHeadModel",
    ),
    "xlm_classifier_fairseq_ids": (
        "fairseq",
        dict(XLM, num_languages=4, use_language_embedding=True),
        XLMTextClassifier,
        {"num_classes": 3, "label_names": LABELS, "head": "xlm"},
        "XLMForSequenceClassification",
    ),
    "xlm_token_classifier": (
        "native",
        dict(XLM, num_languages=1),
        XLMTokenClassifier,
        {"num_classes": 3, "label_names": LABELS},
        "XLMForTokenClassification",
    ),
    "xlm_span_qa": (
        "native",
        dict(XLM, num_languages=4, use_language_embedding=True),
        XLMSpanQA,
        {},
        "XLMForQuestionAnsweringSimple",
    ),
    "xlmr_mlm": (
        "fairseq",
        dict(XLM_R, intermediate_dim=48),
        XLMMaskedLM,
        {"lm_head": "roberta"},
        "XLMRobertaForMaskedLM",
    ),
    "xlmr_classifier_native_ids": (
        "native",
        dict(XLM_R, intermediate_dim=48),
        XLMTextClassifier,
        {"num_classes": 3, "label_names": LABELS, "head": "roberta"},
        "XLMRobertaForSequenceClassification",
    ),
    "xlmr_backbone": ("fairseq", dict(XLM_R, intermediate_dim=48), None, {}, "XLMRobertaModel"),
    "xlmr_xl_token_classifier": (
        "fairseq",
        dict(XLM_R, intermediate_dim=48, normalize_first=True),
        XLMTokenClassifier,
        {"num_classes": 3, "label_names": LABELS},
        "XLMRobertaXLForTokenClassification",
    ),
    "xlmr_xl_span_qa": (
        "fairseq",
        dict(XLM_R, intermediate_dim=48, normalize_first=True),
        XLMSpanQA,
        {},
        "XLMRobertaXLForQuestionAnswering",
    ),
}


@pytest.fixture(scope="module")
def bpe_files(tmp_path_factory):
    """XLM BPE files (`vocab.json`, `merges.txt`) learned on the sample corpus."""
    return sample_bpe_files(str(tmp_path_factory.mktemp("bpe")))


def _randomize(model, seed=0):
    """Random values in every variable (Keras starts LayerNorms at 1/0 and
    biases at 0, which would hide a weight written to the wrong place)."""
    generator = np.random.default_rng(seed)
    for variable in model.weights:
        noise = generator.normal(size=variable.shape).astype(np.float32)
        if variable.path.endswith("gamma"):
            variable.assign(1.0 + 0.1 * noise)
        else:
            variable.assign(0.1 * noise)


def _pieces(tokenizer):
    """Our piece ids of `TEXTS`, a list per text."""
    pieces = tokenizer(TEXTS)  # Ragged (SentencePiece) or lists (BPE, eagerly).
    return pieces.to_list() if hasattr(pieces, "to_list") else pieces


def _packed(tokenizer, frame):
    """Our packing of `TEXTS`: int32 [batch, seq] ids and padding mask."""
    start = tokenizer.start_token_id if frame == "roberta" else tokenizer.end_token_id
    rows = [[start, *ids, tokenizer.end_token_id] for ids in _pieces(tokenizer)]
    length = max(map(len, rows))
    token_ids = np.full((len(rows), length), tokenizer.pad_token_id, np.int32)
    for i, row in enumerate(rows):
        token_ids[i, : len(row)] = row
    return token_ids, token_ids != tokenizer.pad_token_id


def _build(case, tokenizer):
    convention, backbone_arguments, task, task_arguments, _ = CASES[case]
    backbone = XLMBackbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=2,
        num_heads=4,
        hidden_dim=16,
        dropout=0.0,
        max_sequence_length=48,
        **backbone_arguments,
    )
    model = backbone if task is None else task(backbone, **task_arguments)
    _randomize(model)
    return model


def _ours(model, token_ids, padding_mask, language_ids):
    """Our float32 outputs in transformers' layout."""
    inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
    if getattr(model, "backbone", model).has_language_embedding:
        inputs["language_ids"] = language_ids
    if isinstance(model, XLMBackbone):
        return np.asarray(model(inputs))
    if isinstance(model, XLMMaskedLM):
        inputs["mask_positions"] = np.tile(np.arange(token_ids.shape[1]), (len(token_ids), 1))
    outputs = np.asarray(model(inputs))
    if isinstance(model, XLMSpanQA):
        return outputs[:, 0], outputs[:, 1]
    return outputs


def _theirs(hf_model, encoded, language_ids, uses_languages):
    """transformers' outputs on its tokenizer's `encoded` batch, as numpy."""
    import torch

    inputs = {name: torch.tensor(value) for name, value in encoded.items()}
    if uses_languages:
        inputs["langs"] = torch.tensor(language_ids, dtype=torch.long)
    with torch.no_grad():
        outputs = hf_model(**inputs)
    if "start_logits" in outputs:
        return outputs.start_logits.numpy(), outputs.end_logits.numpy()
    if "logits" in outputs:
        return outputs.logits.numpy()
    return outputs.last_hidden_state.numpy()


def _assert_close(ours, theirs, padding_mask, per_token):
    """Within `TOLERANCE` where a real token is (per-token outputs)."""
    if isinstance(ours, tuple):
        for a, b in zip(ours, theirs):
            _assert_close(a, b, padding_mask, per_token)
        return
    assert ours.shape == theirs.shape
    if per_token:
        ours, theirs = ours[padding_mask], theirs[padding_mask]
    np.testing.assert_allclose(ours, theirs, atol=TOLERANCE, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_export_matches_transformers(
    case, native_model_file, fairseq_model_file, bpe_files, tmp_path
):
    import transformers

    convention, _, task, _, architecture = CASES[case]
    if convention == "bpe":
        tokenizer = XLMBPETokenizer(
            vocabulary=f"{bpe_files}/vocab.json",
            merges=f"{bpe_files}/merges.txt",
            languages=LANGUAGES,
        )
    else:
        proto = native_model_file if convention == "native" else fairseq_model_file
        tokenizer = XLMTokenizer(proto, languages=LANGUAGES, id_convention=convention)
    model = _build(case, tokenizer)
    preset = str(tmp_path / "preset")
    model.save_to_preset(preset)
    tokenizer.save_to_preset(preset)
    exported = str(tmp_path / "hf")
    assert export_transformers(preset, exported) == exported

    hf_tokenizer = transformers.AutoTokenizer.from_pretrained(exported)
    frame = "roberta" if "xlmr" in case else "xlm"
    token_ids, padding_mask = _packed(tokenizer, frame)
    encoded = hf_tokenizer(TEXTS, padding=True, return_tensors="np")
    assert sorted(encoded) == ["attention_mask", "input_ids"]
    np.testing.assert_array_equal(encoded["input_ids"], token_ids)
    np.testing.assert_array_equal(encoded["attention_mask"], padding_mask)
    if convention != "bpe":  # transformers' XLMTokenizer frames pairs its own way.
        first, second = _pieces(tokenizer)[:2]
        start, end = int(token_ids[0, 0]), tokenizer.end_token_id
        pair = hf_tokenizer(TEXTS[0], TEXTS[1])["input_ids"]
        assert pair == [start, *first, end, end, *second, end]

    auto = {
        None: transformers.AutoModel,
        XLMMaskedLM: transformers.AutoModelForMaskedLM,
        XLMCausalLM: transformers.AutoModelForCausalLM,
        XLMTextClassifier: transformers.AutoModelForSequenceClassification,
        XLMTokenClassifier: transformers.AutoModelForTokenClassification,
        XLMSpanQA: transformers.AutoModelForQuestionAnswering,
    }[task]
    kwargs = {"add_pooling_layer": False} if task is None else {}
    hf_model, info = auto.from_pretrained(exported, output_loading_info=True, **kwargs)
    assert type(hf_model).__name__ == architecture
    assert not any(info.values()), info
    config = hf_model.config
    if task in (XLMTextClassifier, XLMTokenClassifier):
        assert config.id2label == dict(enumerate(LABELS))
        assert config.label2id == {label: i for i, label in enumerate(LABELS)}
    if frame == "xlm":
        assert config.lang2id == {code: i for i, code in enumerate(LANGUAGES)}

    language_ids = np.tile(np.arange(len(TEXTS), dtype=np.int32)[:, None], token_ids.shape[1])
    uses_languages = (getattr(model, "backbone", model)).has_language_embedding
    ours = _ours(model, token_ids, padding_mask, language_ids)
    theirs = _theirs(hf_model.eval(), encoded, language_ids, uses_languages)
    _assert_close(ours, theirs, padding_mask, per_token=task is not XLMTextClassifier)

    converted = str(tmp_path / "converted")
    convert_checkpoint("hf", exported, converted)
    back = load_model(converted)
    assert type(back) is type(model)
    assert [v.path for v in back.weights] == [v.path for v in model.weights]
    for original, read_back in zip(model.weights, back.weights):
        np.testing.assert_array_equal(np.asarray(read_back), np.asarray(original), original.path)


def _tiny_backbone(**arguments):
    return XLMBackbone(
        **{
            "vocabulary_size": 20,
            "num_layers": 1,
            "num_heads": 2,
            "hidden_dim": 8,
            "intermediate_dim": 32,
            "max_sequence_length": 16,
            **arguments,
        }
    )


REFUSALS = {
    "language centering": (
        lambda: XLMTextClassifier(_tiny_backbone(), num_classes=2, language_centering=2),
        "centers languages",
    ),
    "mean pooling": (
        lambda: XLMTextClassifier(_tiny_backbone(), num_classes=2, pooling="mean"),
        "pooling='mean'",
    ),
    "XLM-R head on XLM": (
        lambda: XLMMaskedLM(_tiny_backbone(), lm_head="roberta"),
        "transformers' XLM classes have XLM's heads only",
    ),
    "CLM on XLM-R": (
        lambda: XLMCausalLM(_tiny_backbone(position_offset=2, causal=True)),
        "XLMRobertaForCausalLM has XLM-R's (dense, LayerNorm)",
    ),
    "XLM feed-forward width": (
        lambda: _tiny_backbone(intermediate_dim=24),
        "fixes the feed-forward width at 4 x hidden_dim",
    ),
    "XLM-R with languages": (
        lambda: _tiny_backbone(position_offset=2, num_languages=3, use_language_embedding=True),
        "transformers' XLM-R has none",
    ),
    "seq2seq": (lambda: tiny_seq2seq(20), "--format=ctranslate2"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_models_without_an_exact_transformers_class_are_refused(case, tmp_path):
    build, words = REFUSALS[case]
    with pytest.raises(ValueError, match=re.escape(words)):
        export_transformers(build(), str(tmp_path / "hf"))
    assert not (tmp_path / "hf").exists()


def test_a_non_empty_output_directory_is_refused(tmp_path):
    (tmp_path / "kept.txt").write_text("")
    with pytest.raises(FileExistsError, match="is not empty"):
        export_transformers(_tiny_backbone(), str(tmp_path))


@pytest.mark.slow
def test_xlm_export_writes_a_transformers_directory(fairseq_model_file, tmp_path):
    """The console script, as a user runs it, from outside the repository."""
    import transformers

    tokenizer = XLMTokenizer(fairseq_model_file, id_convention="fairseq")
    model = XLMTokenClassifier(
        _tiny_backbone(vocabulary_size=tokenizer.vocabulary_size(), position_offset=2),
        num_classes=3,
        label_names=LABELS,
    )
    model.save_to_preset(str(tmp_path / "preset"))
    tokenizer.save_to_preset(str(tmp_path / "preset"))
    result = subprocess.run(
        [
            str(pathlib.Path(sys.executable).parent / "xlm-export"),
            "--preset=preset",
            "--export_dir=hf",
            "--format=transformers",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "Wrote hf"
    config = transformers.AutoConfig.from_pretrained(str(tmp_path / "hf"))
    assert config.architectures == ["XLMRobertaForTokenClassification"]
    assert sorted(path.name for path in (tmp_path / "hf").iterdir()) == [
        "config.json",
        "model.safetensors",
        "sentencepiece.bpe.model",
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ]


def test_a_tokenizer_transformers_cannot_read_is_refused(bpe_files, tmp_path):
    preset = tmp_path / "preset"
    _tiny_backbone().save_to_preset(str(preset))
    (preset / "tokenizer.json").write_text('{"class_name": "WordPieceTokenizer", "config": {}}')
    with pytest.raises(ValueError, match="writes XLMTokenizer and XLMBPETokenizer"):
        export_transformers(str(preset), str(tmp_path / "hf"))
    tokenizer = XLMBPETokenizer(
        vocabulary=f"{bpe_files}/vocab.json", merges=f"{bpe_files}/merges.txt"
    )
    roberta = tmp_path / "roberta"
    _tiny_backbone(vocabulary_size=tokenizer.vocabulary_size(), position_offset=2).save_to_preset(
        str(roberta)
    )
    tokenizer.save_to_preset(str(roberta))
    with pytest.raises(ValueError, match="XLM-R-shaped model with XLM's Moses \\+ BPE"):
        export_transformers(str(roberta), str(tmp_path / "hf"))
