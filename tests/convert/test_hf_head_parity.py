"""Fine-tuning heads against Hugging Face's classification and QA models.

The converter takes encoders only, so each test saves the reference model's
encoder, converts it into a backbone preset, builds our task on that preset
and copies the head's few weights by hand.
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

TOLERANCE = 1e-5
NUM_CLASSES = 3


def _copy_linear(dense, linear):
    """torch Linear `[out, in]` -> Keras Dense kernel `[in, out]`."""
    dense.kernel.assign(linear.weight.detach().numpy().T)
    dense.bias.assign(linear.bias.detach().numpy())


def _reference(family, kind, tmp_path):
    """A random HF model, its padded batch, and our task on its encoder."""
    if family == "xlm":
        config = ref.xlm_config(num_labels=NUM_CLASSES if kind != "qa" else 2)
        model_cls = {
            "sequence": transformers.XLMForSequenceClassification,
            "token": transformers.XLMForTokenClassification,
            "qa": transformers.XLMForQuestionAnsweringSimple,
        }[kind]
        hf_model = ref.randomize(model_cls(config))
        encoder, pad_id, languages = hf_model.transformer, config.pad_index, config.n_langs
    else:
        config = ref.xlm_roberta_config(num_labels=NUM_CLASSES if kind != "qa" else 2)
        model_cls = {
            "sequence": transformers.XLMRobertaForSequenceClassification,
            "token": transformers.XLMRobertaForTokenClassification,
            "qa": transformers.XLMRobertaForQuestionAnswering,
        }[kind]
        hf_model = ref.randomize(model_cls(config))
        encoder, pad_id, languages = hf_model.roberta, config.pad_token_id, 0
    encoder.save_pretrained(tmp_path / "hf")
    convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
    preset = str(tmp_path / "preset")
    if kind == "sequence":
        task = XLMTextClassifier.from_preset(preset, num_classes=NUM_CLASSES)
    elif kind == "token":
        task = XLMTokenClassifier.from_preset(preset, num_classes=NUM_CLASSES)
    else:
        task = XLMSpanQA.from_preset(preset)
    token_ids, padding_mask, language_ids = ref.padded_batch(
        config.vocab_size, pad_id, num_languages=languages)
    return hf_model, task, token_ids, padding_mask, language_ids


def _run(hf_model, task, token_ids, padding_mask, language_ids):
    hf_inputs = {
        "input_ids": torch.tensor(token_ids, dtype=torch.long),
        "attention_mask": torch.tensor(padding_mask, dtype=torch.long),
    }
    inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
    if language_ids is not None:
        hf_inputs["langs"] = torch.tensor(language_ids, dtype=torch.long)
        inputs["language_ids"] = language_ids
    with torch.no_grad():
        return hf_model(**hf_inputs), np.asarray(task(inputs))


@pytest.mark.parametrize("family", ["xlm", "xlm_roberta"])
def test_sequence_classification(family, tmp_path):
    hf_model, task, *batch = _reference(family, "sequence", tmp_path)
    if family == "xlm":
        assert task.head == "xlm"
        _copy_linear(task.output_dense, hf_model.sequence_summary.summary)
    else:
        assert task.head == "roberta"
        _copy_linear(task.pooled_dense, hf_model.classifier.dense)
        _copy_linear(task.output_dense, hf_model.classifier.out_proj)
    hf_out, logits = _run(hf_model, task, *batch)
    np.testing.assert_allclose(logits, hf_out.logits.numpy(), atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("family", ["xlm", "xlm_roberta"])
def test_token_classification(family, tmp_path):
    hf_model, task, *batch = _reference(family, "token", tmp_path)
    _copy_linear(task.output_dense, hf_model.classifier)
    hf_out, logits = _run(hf_model, task, *batch)
    padding_mask = batch[1]
    assert ref.max_abs_diff_on_tokens(logits, hf_out.logits.numpy(), padding_mask) <= TOLERANCE


@pytest.mark.parametrize("family", ["xlm", "xlm_roberta"])
def test_question_answering(family, tmp_path):
    hf_model, task, *batch = _reference(family, "qa", tmp_path)
    _copy_linear(task.span_dense, hf_model.qa_outputs)
    hf_out, logits = _run(hf_model, task, *batch)
    padding_mask = batch[1]
    expected = np.stack([hf_out.start_logits.numpy(), hf_out.end_logits.numpy()], axis=1)
    real = np.repeat(padding_mask[:, None, :], 2, axis=1)
    assert ref.max_abs_diff_on_tokens(logits, expected, real) <= TOLERANCE
