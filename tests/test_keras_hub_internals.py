"""keras-hub internals are reached through `xlm_keras.keras_hub_internals`
only, and its accessors find the sublayers of the installed keras-hub."""

import ast
import pathlib

import numpy as np
from keras_hub.layers import MaskedLMHead
from keras_hub.layers import ReversibleEmbedding
from keras_hub.layers import TransformerDecoder
from keras_hub.layers import TransformerEncoder

from xlm_keras import keras_hub_internals

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOUNDARY = ROOT / "xlm_keras" / "keras_hub_internals.py"


def sources():
    """Every Python file of the repository but the boundary and this test."""
    for folder in ("xlm_keras", "tools", "export", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path not in (BOUNDARY, pathlib.Path(__file__).resolve()):
                yield path


def private_names_read(path):
    """(line, `_name`) of every `obj._name` (obj not `self`) and
    `getattr(obj, "_name", ...)` in a module's code."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        name = None
        if isinstance(node, ast.Attribute) and not (
            isinstance(node.value, ast.Name) and node.value.id == "self"
        ):
            name = node.attr
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr":
            argument = node.args[1] if len(node.args) > 1 else None
            name = getattr(argument, "value", None)
        if isinstance(name, str) and name.startswith("_") and not name.startswith("__"):
            yield node.lineno, name


# Spelled in two parts, so that this file does not name it.
INTERNAL_PACKAGE = "keras_hub" + ".src"


def test_keras_hub_src_is_imported_in_one_module():
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources()
        if INTERNAL_PACKAGE in path.read_text(encoding="utf-8")
    ]
    assert not offenders, f"import these through xlm_keras.keras_hub_internals: {offenders}"


def test_keras_hub_private_attributes_are_read_in_one_module():
    names = {name for _, name in private_names_read(BOUNDARY)}
    assert "_self_attention_layer" in names and "_bias" in names
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in sources()
        for line, name in private_names_read(path)
        if name in names
    ]
    assert not offenders, "read these through xlm_keras.keras_hub_internals:\n" + "\n".join(
        offenders
    )


def test_accessors_find_the_sublayers():
    encoder = TransformerEncoder(intermediate_dim=8, num_heads=2)
    decoder = TransformerDecoder(intermediate_dim=8, num_heads=2)
    x = np.zeros([1, 3, 4], "float32")
    encoder(x)
    decoder(x, x)
    encoder_parts = keras_hub_internals.block_sublayers(encoder)
    assert encoder_parts.cross_attention is None
    decoder_parts = keras_hub_internals.block_sublayers(decoder)
    for parts in (encoder_parts, decoder_parts):
        assert parts.feedforward_intermediate.kernel.shape == (4, 8)
        attention = keras_hub_internals.attention_parts(parts.self_attention)
        assert (attention.num_heads, attention.head_dim) == (2, 2)
        assert attention.query.kernel.shape == (4, 2, 2)
        assert attention.output.kernel.shape == (2, 2, 4)
        assert np.isclose(attention.inverse_sqrt_head_dim, 2**-0.5)
    assert decoder_parts.cross_attention_norm is not None

    embedding = ReversibleEmbedding(10, 4)
    head = MaskedLMHead(vocabulary_size=10, token_embedding=embedding, activation="gelu")
    embedding(np.zeros([1, 3], "int32"))
    head(x, mask_positions=np.zeros([1, 2], "int32"))
    parts = keras_hub_internals.lm_head_parts(head)
    assert parts.dense.kernel.shape == (4, 4) and parts.bias.shape == (10,)
