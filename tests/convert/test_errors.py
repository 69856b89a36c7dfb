"""Wrong or unsupported checkpoints fail with messages naming the problem."""

import json
import os

import numpy as np
import pytest
import torch
import transformers
from safetensors.numpy import save_file

from tests.convert import reference_models as ref
from xlm_keras.convert import convert_checkpoint


def _hf_dir(tmp_path, config, state):
    directory = tmp_path / "hf"
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(config))
    if state is not None:
        save_file(state, str(directory / "model.safetensors"))
    return str(directory)


def test_unknown_source(tmp_path):
    with pytest.raises(ValueError, match="supported: \\['fairseq', 'hf', 'xlm'\\]"):
        convert_checkpoint("onnx", str(tmp_path), str(tmp_path / "out"))


def test_hf_wrong_model_type(tmp_path):
    path = _hf_dir(tmp_path, {"model_type": "bert"}, None)
    with pytest.raises(ValueError, match="model_type='bert'.*xlm-roberta"):
        convert_checkpoint("hf", path, str(tmp_path / "out"))


def test_hf_directory_without_config_or_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        convert_checkpoint("hf", str(tmp_path), str(tmp_path / "out"))
    path = _hf_dir(tmp_path, ref.xlm_roberta_config().to_dict(), None)
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        convert_checkpoint("hf", path, str(tmp_path / "out"))


def test_hf_unexpected_weights_are_named(tmp_path):
    model = transformers.XLMRobertaForMaskedLM(ref.xlm_roberta_config())
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    state["classifier.dense.weight"] = np.zeros((2, 2), "float32")
    path = _hf_dir(tmp_path, model.config.to_dict(), state)
    with pytest.raises(ValueError, match="classifier.dense.weight"):
        convert_checkpoint("hf", path, str(tmp_path / "out"))


def test_hf_missing_weight_is_named(tmp_path):
    model = transformers.XLMRobertaModel(ref.xlm_roberta_config())
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    del state["encoder.layer.1.output.dense.bias"]
    path = _hf_dir(tmp_path, model.config.to_dict(), state)
    with pytest.raises(ValueError, match="layers.1.output.bias"):
        convert_checkpoint("hf", path, str(tmp_path / "out"))


def test_hf_shape_mismatch_is_named(tmp_path):
    model = transformers.XLMRobertaModel(ref.xlm_roberta_config())
    config = model.config.to_dict()
    config["intermediate_size"] = 64
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    path = _hf_dir(tmp_path, config, state)
    with pytest.raises(ValueError, match="shape mismatch.*intermediate"):
        convert_checkpoint("hf", path, str(tmp_path / "out"))


def test_hf_unsupported_options(tmp_path):
    model = transformers.XLMRobertaModel(ref.xlm_roberta_config())
    config = {**model.config.to_dict(), "position_embedding_type": "relative_key"}
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match="relative_key"):
        convert_checkpoint("hf", _hf_dir(tmp_path, config, state), str(tmp_path / "out"))


def test_pickles_with_code_are_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    torch.save({"model": {}, "args": Evil()}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="weights_only=True"):
        convert_checkpoint("fairseq", str(tmp_path / "model.pt"), str(tmp_path / "out"))


def test_not_a_fairseq_or_xlm_checkpoint(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="not a fairseq checkpoint"):
        convert_checkpoint("fairseq", str(tmp_path), str(tmp_path / "out"))
    with pytest.raises(
        ValueError,
        match="not a facebookresearch/XLM checkpoint.*'model' \\(or "
        "'encoder' and 'decoder'\\); found keys \\['weights'\\]",
    ):
        convert_checkpoint("xlm", str(tmp_path / "model.pt"), str(tmp_path / "out"))
    with pytest.raises(FileNotFoundError, match="model.pt"):
        convert_checkpoint("fairseq", str(tmp_path / "nowhere"), str(tmp_path / "out"))


def test_hf_config_missing_a_key_names_the_file_and_key(tmp_path):
    model = transformers.XLMRobertaModel(ref.xlm_roberta_config())
    config = model.config.to_dict()
    del config["num_hidden_layers"]
    path = _hf_dir(tmp_path, config, {k: v.numpy() for k, v in model.state_dict().items()})
    with pytest.raises(ValueError, match="config.json lacks 'num_hidden_layers'.*re-download"):
        convert_checkpoint("hf", path, str(tmp_path / "out"))


def test_hf_bad_json_names_the_file(tmp_path):
    directory = tmp_path / "hf"
    directory.mkdir()
    (directory / "config.json").write_text('{"model_type": "xlm-roberta",')
    with pytest.raises(ValueError, match="config.json is not valid JSON"):
        convert_checkpoint("hf", str(directory), str(tmp_path / "out"))


def test_truncated_safetensors_names_the_file(tmp_path):
    model = transformers.XLMRobertaModel(ref.xlm_roberta_config())
    path = _hf_dir(
        tmp_path, model.config.to_dict(), {k: v.numpy() for k, v in model.state_dict().items()}
    )
    weights = os.path.join(path, "model.safetensors")
    with open(weights, "r+b") as f:
        f.truncate(os.path.getsize(weights) // 2)
    with pytest.raises(ValueError, match="model.safetensors is not a readable safetensors file"):
        convert_checkpoint("hf", path, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_text_file_named_pth_is_not_a_torch_checkpoint(tmp_path):
    (tmp_path / "model.pth").write_text("hello, I am a text file\n")
    with pytest.raises(ValueError, match="model.pth is not a PyTorch checkpoint"):
        convert_checkpoint("xlm", str(tmp_path / "model.pth"), str(tmp_path / "out"))


def _state(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    "architecture,reason",
    [
        ("XLMForQuestionAnswering", "beam search.*XLMForQuestionAnsweringSimple"),
        ("XLMRobertaForMultipleChoice", "multiple choice"),
        ("XLMRobertaForCausalLM", "causal decoder"),
        (
            "XLMRobertaForPreTraining",
            "not supported; supported: .*XLMRobertaForSequenceClassification",
        ),
    ],
)
def test_hf_unsupported_architectures_are_refused(architecture, reason, tmp_path):
    config = {**ref.xlm_roberta_config().to_dict(), "architectures": [architecture]}
    with pytest.raises(ValueError, match=reason):
        convert_checkpoint("hf", _hf_dir(tmp_path, config, None), str(tmp_path / "out"))


def test_hf_xlm_question_answering_with_beam_search_is_refused(tmp_path):
    model = transformers.XLMForQuestionAnswering(ref.xlm_config())
    model.save_pretrained(tmp_path / "hf")
    with pytest.raises(ValueError, match="XLMForQuestionAnswering: its SQuAD v2 head"):
        convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "out"))


@pytest.mark.parametrize(
    "setting",
    [
        dict(summary_type="mean"),
        dict(summary_activation="tanh"),
        dict(summary_proj_to_labels=False),
    ],
)
def test_hf_xlm_sequence_summary_we_do_not_reproduce_is_refused(setting, tmp_path):
    model = transformers.XLMForSequenceClassification(ref.xlm_config(num_labels=3))
    config = {
        **model.config.to_dict(),
        "architectures": ["XLMForSequenceClassification"],
        **setting,
    }
    key, value = next(iter(setting.items()))
    with pytest.raises(ValueError, match=f"{key}={value!r}.*summary_type='first'"):
        convert_checkpoint("hf", _hf_dir(tmp_path, config, _state(model)), str(tmp_path / "out"))


def test_hf_id2label_must_cover_num_labels(tmp_path):
    model = transformers.XLMRobertaForTokenClassification(ref.xlm_roberta_config(num_labels=3))
    config = {
        **model.config.to_dict(),
        "architectures": ["XLMRobertaForTokenClassification"],
        "id2label": {"0": "O", "2": "B-PER", "3": "I-PER"},
        "num_labels": 3,
    }
    with pytest.raises(ValueError, match=r"id2label has ids \[0, 2, 3\] but num_labels=3"):
        convert_checkpoint("hf", _hf_dir(tmp_path, config, _state(model)), str(tmp_path / "out"))


@pytest.mark.parametrize(
    "family,copy,kept",
    [
        ("xlm_roberta", "lm_head.decoder.weight", "token_embedding"),
        ("xlm_roberta", "lm_head.decoder.bias", "lm_head.bias"),
        ("xlm", "pred_layer.proj.weight", "token_embedding"),
    ],
)
def test_hf_untied_copy_is_an_error_not_a_silent_drop(family, copy, kept, tmp_path):
    model = ref.randomize(
        transformers.XLMRobertaForMaskedLM(ref.xlm_roberta_config())
        if family == "xlm_roberta"
        else transformers.XLMWithLMHeadModel(ref.xlm_config())
    )
    state = _state(model)
    state[copy] = state[copy] + 0.5
    path = _hf_dir(tmp_path, model.config.to_dict(), state)
    with pytest.raises(
        ValueError,
        match=f"'{copy}' should be a tied copy of '{kept}' but differs from it by 0.5 max abs",
    ):
        convert_checkpoint("hf", path, str(tmp_path / "out"))


def test_hf_tied_copies_that_are_equal_are_dropped(tmp_path):
    model = ref.randomize(transformers.XLMRobertaForMaskedLM(ref.xlm_roberta_config()))
    state = _state(model)
    assert "lm_head.decoder.weight" in state and "lm_head.decoder.bias" in state
    convert_checkpoint(
        "hf", _hf_dir(tmp_path, model.config.to_dict(), state), str(tmp_path / "out")
    )


def test_hf_position_ids_buffer_must_count_from_zero(tmp_path):
    model = transformers.XLMModel(ref.xlm_config())
    state = _state(model)
    state["position_ids"] = np.arange(40)[None, ::-1].copy()
    with pytest.raises(ValueError, match="'position_ids' is not the positions 0, 1, 2"):
        convert_checkpoint(
            "hf", _hf_dir(tmp_path, model.config.to_dict(), state), str(tmp_path / "out")
        )


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("num_hidden_layers", 2.5, "num_hidden_layers=2.5 is not an integer >= 1"),
        ("num_attention_heads", [2], "num_attention_heads=[2] is not an integer >= 1"),
        ("hidden_size", "512", 'hidden_size="512" is not an integer >= 1'),
        ("vocab_size", None, "vocab_size=null is not an integer >= 1"),
        ("layer_norm_eps", float("nan"), "layer_norm_eps=NaN is not a finite number >= 0"),
    ],
)
def test_hf_config_value_of_the_wrong_type_names_the_key_and_what_it_expects(
    key, value, expected, tmp_path
):
    model = transformers.XLMRobertaModel(ref.xlm_roberta_config())
    config = dict(model.config.to_dict(), **{key: value})
    path = _hf_dir(tmp_path, config, {k: v.numpy() for k, v in model.state_dict().items()})
    with pytest.raises(ValueError) as error:
        convert_checkpoint("hf", path, str(tmp_path / "out"))
    assert str(error.value) == (
        f"{path}/config.json: {expected}; use the config.json saved with this checkpoint "
        "(re-download it)."
    )


def test_xlm_source_given_a_directory_says_it_wants_the_pth_file(tmp_path):
    with pytest.raises(IsADirectoryError, match="An XLM checkpoint is one .pth file"):
        convert_checkpoint("xlm", str(tmp_path), str(tmp_path / "out"))
