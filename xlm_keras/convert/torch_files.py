"""Reading tensors from safetensors (numpy) and torch pickles (weights only)."""

import argparse
import json
import os


def load_safetensors(path):
    """name -> numpy array, read without torch."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(path)
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

    Returns: the unpickled object, tensors converted to numpy arrays.
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
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(
            f"Could not load {path} with torch.load(weights_only=True): {error}. "
            "Only checkpoints made of tensors and plain Python values are "
            "supported; unpickling arbitrary objects is refused for safety."
        ) from error
    return _to_numpy(obj, torch)


def _to_numpy(obj, torch):
    if isinstance(obj, torch.Tensor):
        return obj.detach().float().numpy() if obj.is_floating_point() else obj.numpy()
    if isinstance(obj, dict):
        return {key: _to_numpy(value, torch) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_numpy(value, torch) for value in obj)
    return obj


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
