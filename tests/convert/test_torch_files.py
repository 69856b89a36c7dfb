"""Checkpoint tensors read one at a time: the same values as safetensors'
and torch's own loaders, in every dtype they store."""

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file
from safetensors.numpy import save_file

from xlm_keras.convert.torch_files import load_safetensors
from xlm_keras.convert.torch_files import load_torch_pickle

VALUES = {
    "float32": np.arange(12, dtype="float32").reshape(3, 4) / 7,
    "float16": (np.arange(6, dtype="float16") / 3).reshape(2, 3),
    "float64": np.linspace(-1, 1, 5),
    "int64": np.arange(5, dtype="int64"),
    "int8": np.array([[-3, 4]], dtype="int8"),
    "scalar": np.array(2.5, dtype="float32"),
}


def test_safetensors_tensors_read_as_stored(tmp_path):
    path = str(tmp_path / "model.safetensors")
    save_file(VALUES, path, metadata={"format": "np"})
    tensors = load_safetensors(path)
    reference = load_file(path)
    assert sorted(tensors) == sorted(reference)
    for name, expected in reference.items():
        assert tensors[name].shape == expected.shape
        actual = np.asarray(tensors[name])
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(
        np.asarray(tensors["float16"], np.float32), reference["float16"].astype("float32")
    )


@pytest.mark.parametrize("zip_archive", [True, False])
def test_torch_tensors_read_as_float32(tmp_path, zip_archive):
    path = str(tmp_path / "model.pt")
    state = {"model": {name: torch.from_numpy(value) for name, value in VALUES.items()}, "n": 3}
    torch.save(state, path, _use_new_zipfile_serialization=zip_archive)
    loaded = load_torch_pickle(path)
    assert loaded["n"] == 3
    for name, value in VALUES.items():
        actual = np.asarray(loaded["model"][name])
        assert loaded["model"][name].shape == value.shape
        expected = value.astype("float32") if value.dtype.kind == "f" else value
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected)
