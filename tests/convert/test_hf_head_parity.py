"""Fine-tuned Hugging Face heads through `xlm-convert --source=hf`.

Each test saves a random-weight Hugging Face task model (every parameter
perturbed, position table included), converts the directory, loads the
preset with `load_model` (which calls the task class's `from_preset`) and
compares logits and label names with Hugging Face.
"""

import numpy as np
import pytest
import torch
import transformers

from tests.convert import reference_models as ref
from xlm_keras import XLMSpanQA
from xlm_keras import XLMTextClassifier
from xlm_keras import XLMTokenClassifier
from xlm_keras.convert import convert_checkpoint
from xlm_keras.models import load_model

pytestmark = pytest.mark.slow  # Parity against transformers (PyTorch).

TOLERANCE = 1e-4
LABELS = ["entailment", "neutral", "contradiction"]

HF_CLASSES = {
    ("xlm", "sequence"): transformers.XLMForSequenceClassification,
    ("xlm", "token"): transformers.XLMForTokenClassification,
    ("xlm", "qa"): transformers.XLMForQuestionAnsweringSimple,
    ("xlm_roberta", "sequence"): transformers.XLMRobertaForSequenceClassification,
    ("xlm_roberta", "token"): transformers.XLMRobertaForTokenClassification,
    ("xlm_roberta", "qa"): transformers.XLMRobertaForQuestionAnswering,
    ("xlm_roberta_xl", "sequence"): transformers.XLMRobertaXLForSequenceClassification,
    ("xlm_roberta_xl", "token"): transformers.XLMRobertaXLForTokenClassification,
    ("xlm_roberta_xl", "qa"): transformers.XLMRobertaXLForQuestionAnswering,
}
OUR_CLASSES = {"sequence": XLMTextClassifier, "token": XLMTokenClassifier, "qa": XLMSpanQA}


def _labels(kind):
    labels = LABELS if kind != "qa" else ["start", "end"]
    return dict(
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )


def fine_tuned_sinusoidal(hf_model, seed=1):
    """Move XLM's sinusoidal table as fine-tuning would (HF trains it)."""
    generator = torch.Generator().manual_seed(seed)
    table = hf_model.transformer.position_embeddings.weight
    with torch.no_grad():
        table.add_(0.05 * torch.randn(table.shape, generator=generator))


def reference_model(family, kind, sinusoidal=False):
    """A random HF task model and its padded batch (token_ids, padding_mask,
    language_ids or None)."""
    if family == "xlm":
        config = ref.xlm_config(sinusoidal_embeddings=sinusoidal, **_labels(kind))
        hf_model = ref.randomize(HF_CLASSES[family, kind](config))
        if sinusoidal:
            fine_tuned_sinusoidal(hf_model)
        batch = ref.padded_batch(config.vocab_size, config.pad_index, num_languages=config.n_langs)
    else:
        config = ref.xlm_roberta_config(xl=family == "xlm_roberta_xl", **_labels(kind))
        hf_model = ref.randomize(HF_CLASSES[family, kind](config))
        batch = ref.padded_batch(config.vocab_size, config.pad_token_id)
    return hf_model, batch


def hf_logits(hf_model, kind, token_ids, padding_mask, language_ids):
    """Logits in our layout: [B, C], [B, T, C] or [B, 2, T] (start, end)."""
    inputs = {
        "input_ids": torch.tensor(token_ids, dtype=torch.long),
        "attention_mask": torch.tensor(padding_mask, dtype=torch.long),
    }
    if language_ids is not None:
        inputs["langs"] = torch.tensor(language_ids, dtype=torch.long)
    with torch.no_grad():
        out = hf_model(**inputs)
    if kind == "qa":
        return np.stack([out.start_logits.numpy(), out.end_logits.numpy()], axis=1)
    return out.logits.numpy()


def max_abs_diff(kind, ours, expected, padding_mask):
    """Over real tokens (Hugging Face gives padding other positions)."""
    ours = np.asarray(ours)
    if kind == "sequence":
        return float(np.max(np.abs(ours - expected)))
    if kind == "qa":
        padding_mask = np.repeat(padding_mask[:, None, :], 2, axis=1)
    return ref.max_abs_diff_on_tokens(ours, expected, padding_mask)


@pytest.mark.parametrize("kind", ["sequence", "token", "qa"])
@pytest.mark.parametrize("family", ["xlm", "xlm_roberta", "xlm_roberta_xl"])
def test_converted_head_matches_hugging_face(family, kind, tmp_path):
    hf_model, (token_ids, padding_mask, language_ids) = reference_model(family, kind)
    hf_model.save_pretrained(tmp_path / "hf")
    expected = hf_logits(hf_model, kind, token_ids, padding_mask, language_ids)

    convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
    task = load_model(str(tmp_path / "preset"))

    assert type(task) is OUR_CLASSES[kind]
    if kind == "sequence":
        assert task.head == ("xlm" if family == "xlm" else "roberta")
    if kind != "qa":
        assert task.label_names == LABELS
    inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
    if language_ids is not None:
        inputs["language_ids"] = language_ids
    assert max_abs_diff(kind, task(inputs), expected, padding_mask) <= TOLERANCE


def test_fine_tuned_sinusoidal_table_is_kept(tmp_path, caplog):
    """A sinusoidal table moved by fine-tuning becomes a learned table; the
    formula would differ from Hugging Face by far more than the tolerance."""
    hf_model, (token_ids, padding_mask, language_ids) = reference_model(
        "xlm", "sequence", sinusoidal=True
    )
    hf_model.save_pretrained(tmp_path / "hf")
    expected = hf_logits(hf_model, "sequence", token_ids, padding_mask, language_ids)

    with caplog.at_level("WARNING"):
        convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
    assert "differs from the formula" in caplog.text and "kept as a learned" in caplog.text
    task = XLMTextClassifier.from_preset(str(tmp_path / "preset"))
    assert task.backbone.position_embedding == "learned"
    assert task.label_names == LABELS
    logits = task(
        {"token_ids": token_ids, "padding_mask": padding_mask, "language_ids": language_ids}
    )
    assert max_abs_diff("sequence", logits, expected, padding_mask) <= TOLERANCE
