"""Reading tensors from safetensors and torch pickles (weights only), one
tensor at a time.

A converter holds the Keras model it builds; holding the checkpoint as well
(and a float32 copy of it) is what made converting a large model need
several times its size. The readers list each tensor as a `StoredTensor`
(shape known, data still in the file) and read it when the converter
assigns it.
"""

import argparse
import contextlib
import functools
import json
import math
import os

import numpy as np


class StoredTensor:
    """A tensor of a checkpoint file, read when asked: `np.asarray(tensor)`
    (or `np.asarray(tensor, np.float32)`) returns its values, each time
    from the file.

    Attributes:
        shape: tuple of ints.
    """

    def __init__(self, shape, read):
        self.shape = tuple(shape)
        self._read = read

    def __array__(self, dtype=None, copy=None):
        value = self._read()
        return value if dtype is None else value.astype(dtype, copy=False)

    def __repr__(self):
        return f"StoredTensor(shape={self.shape})"


# safetensors dtype names -> numpy (little-endian, as the format stores them).
SAFETENSORS_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "BOOL": "?",
}


def load_safetensors(path):
    """name -> `StoredTensor` of a safetensors file (read without torch).

    safetensors checks the header against the file; each tensor is then
    read with plain file reads at its offset (one copy; mapping the file
    would add its pages to the process's memory while they are read).
    """
    from safetensors import safe_open

    with _readable_safetensors(path):
        with safe_open(path, framework="numpy"):
            pass
    with open(path, "rb") as f:
        header_size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_size))
    header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in SAFETENSORS_DTYPES:
            raise ValueError(
                f"{path}: tensor {name!r} has dtype {entry['dtype']}; supported: "
                f"{sorted(SAFETENSORS_DTYPES)}."
            )
        read = functools.partial(
            _read_at,
            path,
            offset=8 + header_size + entry["data_offsets"][0],
            dtype=np.dtype(SAFETENSORS_DTYPES[entry["dtype"]]),
            shape=tuple(entry["shape"]),
        )
        tensors[name] = StoredTensor(entry["shape"], read)
    return tensors


def _read_at(path, *, offset, dtype, shape):
    """The array of `dtype` and `shape` stored at byte `offset` of `path`."""
    with open(path, "rb") as f:
        f.seek(offset)
        return np.fromfile(f, dtype=dtype, count=math.prod(shape)).reshape(shape)


@contextlib.contextmanager
def _readable_safetensors(path):
    """Re-raise a safetensors error as one naming the file."""
    from safetensors import SafetensorError

    try:
        yield
    except SafetensorError as error:
        raise ValueError(
            f"{path} is not a readable safetensors file ({error}); it may be truncated: "
            "re-download it."
        ) from error


def load_torch_pickle(path, allowed_globals=()):
    """Load a torch pickle with `weights_only=True` (no arbitrary code).

    Args:
        path: `.bin`, `.pt` or `.pth` file.
        allowed_globals: extra plain classes the pickle may contain (fairseq
            stores its hyper-parameters as `argparse.Namespace`).

    Returns: the unpickled object, each tensor a `StoredTensor` (floating
    ones read as float32 numpy arrays).
    """
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            f"Reading {path} needs PyTorch (a .pt/.pth/.bin pickle). Install it "
            "with `pip install torch`, or convert from model.safetensors."
        ) from error
    with open(path, "rb") as f:
        head = f.read(4)
    if not head.startswith((b"PK", b"\x80")):  # torch.save: a zip archive, or a pickle.
        raise ValueError(
            f"{path} is not a PyTorch checkpoint (neither a zip archive nor a pickle; it "
            f"starts with {head!r}); pass the file that torch.save wrote."
        )
    try:
        with torch.serialization.safe_globals(list(allowed_globals)):
            # A zip archive (torch >= 1.6) is mapped, not read: tensors are
            # paged in when converted. An old-style pickle cannot be.
            obj = torch.load(
                path, map_location="cpu", weights_only=True, mmap=head.startswith(b"PK")
            )
    except Exception as error:
        raise ValueError(
            f"Could not load {path} with torch.load(weights_only=True): {error}. "
            "Only checkpoints made of tensors and plain Python values are "
            "supported; unpickling arbitrary objects is refused for safety."
        ) from error
    return _to_numpy(obj, torch)


def _to_numpy(obj, torch):
    if isinstance(obj, torch.Tensor):
        return StoredTensor(obj.shape, functools.partial(_tensor_values, obj))
    if isinstance(obj, dict):
        return {key: _to_numpy(value, torch) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_numpy(value, torch) for value in obj)
    return obj


def _tensor_values(tensor):
    """numpy values of a torch tensor: float32 for floating ones."""
    tensor = tensor.detach()
    return tensor.float().numpy() if tensor.is_floating_point() else tensor.numpy()


def load_hf_state_dict(directory):
    """Weights of a Hugging Face model directory: `model.safetensors`,
    sharded safetensors (`model.safetensors.index.json`) or
    `pytorch_model.bin`."""
    single = os.path.join(directory, "model.safetensors")
    index = os.path.join(directory, "model.safetensors.index.json")
    pickle = os.path.join(directory, "pytorch_model.bin")
    if os.path.exists(single):
        return load_safetensors(single)
    if os.path.exists(index):
        with open(index) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        state = {}
        for shard in shards:
            state.update(load_safetensors(os.path.join(directory, shard)))
        return state
    if os.path.exists(pickle):
        return load_torch_pickle(pickle)
    raise FileNotFoundError(
        f"No weights in {directory}: found {sorted(os.listdir(directory))}; "
        "expected model.safetensors, model.safetensors.index.json or "
        "pytorch_model.bin."
    )


FAIRSEQ_GLOBALS = (argparse.Namespace,)
