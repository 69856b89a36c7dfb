"""The output directory: written whole or not at all; an older conversion
is refused unless `overwrite`, which replaces it whole."""

import json
import os

import pytest
import transformers
from safetensors.numpy import save_file

from tests.convert import reference_models as ref
from xlm_keras.convert import convert_checkpoint


def _hf_dir(directory, model):
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(model.config.to_dict()))
    save_file(
        {k: v.numpy().copy() for k, v in model.state_dict().items()},
        str(directory / "model.safetensors"),
    )
    return str(directory)


def test_existing_output_is_refused_unless_overwrite_which_replaces_it_whole(tmp_path):
    masked_lm = _hf_dir(
        tmp_path / "mlm", transformers.XLMRobertaForMaskedLM(ref.xlm_roberta_config())
    )
    backbone = _hf_dir(
        tmp_path / "backbone", transformers.XLMRobertaModel(ref.xlm_roberta_config())
    )
    output = tmp_path / "preset"
    convert_checkpoint("hf", masked_lm, str(output))
    assert (output / "task.json").exists()

    with pytest.raises(FileExistsError, match="not empty.*overwrite"):
        convert_checkpoint("hf", backbone, str(output))
    assert (output / "task.json").exists(), "a refused conversion must not touch the output"

    convert_checkpoint("hf", backbone, str(output) + "/", overwrite=True)
    assert not (output / "task.json").exists() and not (output / "task.weights.h5").exists()
    assert (output / "config.json").exists()
    assert sorted(os.listdir(tmp_path)) == ["backbone", "mlm", "preset"]


def test_failed_conversion_leaves_no_output(tmp_path):
    source = _hf_dir(tmp_path / "hf", transformers.XLMRobertaModel(ref.xlm_roberta_config()))
    (tmp_path / "hf" / "sentencepiece.bpe.model").write_text("not a sentencepiece model")
    with pytest.raises(Exception):  # noqa: B017 (any failure must leave nothing)
        convert_checkpoint("hf", source, str(tmp_path / "preset"))
    assert sorted(os.listdir(tmp_path)) == ["hf"]


def test_output_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "preset").write_text("")
    with pytest.raises(FileExistsError, match="is a file"):
        convert_checkpoint("hf", str(tmp_path), str(tmp_path / "preset"))
