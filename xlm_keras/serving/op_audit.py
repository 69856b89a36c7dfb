"""Which ops a SavedModel needs, and whether a plain TF runtime has them.

A model server runs a SavedModel only if every op in it is registered. The
exported models may use core TensorFlow ops plus tensorflow-text's
SentencePiece kernels (`_sentencepiece_tokenizer.so`, which TF Serving
builds in); anything else (another TF Text op, a Python callback) would load
in this process and fail in the server.

"Core" is decided by asking a fresh `python` that imports `tensorflow` with
`tensorflow_text`, `keras` and `keras_hub` blocked, because this process
already has tf-text's kernels registered.
"""

import importlib.util
import json
import os
import subprocess
import sys

from tensorflow.core.protobuf import saved_model_pb2

# tf-text's SentencePiece ops that `XLMTokenizer` uses (resource, tokenize,
# detokenize), as registered by `_sentencepiece_tokenizer.so`.
ALLOWED_CUSTOM_OPS = frozenset(
    {"SentencepieceOp", "SentencepieceTokenizeOp", "SentencepieceDetokenizeOp"}
)
# Core ops that call back into the Python interpreter of the exporter; they
# cannot run in a model server.
DENIED_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})
SENTENCEPIECE_LIBRARY = os.path.join("python", "ops", "_sentencepiece_tokenizer.so")

_LIST_PLAIN_TENSORFLOW_OPS = """
import json, sys
for name in ("tensorflow_text", "keras", "keras_hub", "tf_keras", "xlm_keras"):
    sys.modules[name] = None
from tensorflow.core.framework import op_def_pb2
from tensorflow.python.client import pywrap_tf_session as c_api
op_list = op_def_pb2.OpList.FromString(c_api.TF_GetBuffer(c_api.TF_GetAllOpList()))
json.dump(sorted(op.name for op in op_list.op), sys.stdout)
"""


class OpAuditError(ValueError):
    """A SavedModel uses ops that a plain TF + SentencePiece runtime lacks."""


def sentencepiece_library():
    """Path of tf-text's SentencePiece kernels, for `tf.load_op_library` in a
    process that loads the SavedModel without importing `tensorflow_text`
    (found without importing it either)."""
    package_dir = os.path.dirname(importlib.util.find_spec("tensorflow_text").origin)
    return os.path.join(package_dir, SENTENCEPIECE_LIBRARY)


def saved_model_ops(saved_model_dir):
    """Every op type in a SavedModel: the graphs of all meta graphs and all
    functions of their libraries (calls to library functions excluded).

    Returns: dict op name -> sorted names of the graphs/functions using it.
    """
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(saved_model_dir, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    uses = {}
    for index, meta_graph in enumerate(saved_model.meta_graphs):
        graph = meta_graph.graph_def
        functions = {function.signature.name for function in graph.library.function}
        nodes = [(f"meta_graph_{index}", node) for node in graph.node]
        for function in graph.library.function:
            nodes += [(function.signature.name, node) for node in function.node_def]
        for where, node in nodes:
            if node.op not in functions:
                uses.setdefault(node.op, set()).add(where)
    return {op: sorted(where) for op, where in sorted(uses.items())}


def audit_ops(op_uses):
    """Check op names against core TensorFlow and the SentencePiece ops.

    Args:
        op_uses: dict op name -> where it is used (`saved_model_ops`), or an
            iterable of op names.

    Returns: `{"core": [...], "sentencepiece": [...]}`, sorted op names.

    Raises: `OpAuditError` naming each op that is neither core TensorFlow
    nor an allowed SentencePiece op, or that calls back into Python.
    """
    op_uses = op_uses if isinstance(op_uses, dict) else {op: [] for op in op_uses}
    custom = sorted(set(op_uses) & ALLOWED_CUSTOM_OPS)
    core = set(op_uses) & core_ops()
    bad = sorted((set(op_uses) - set(custom) - core) | (set(op_uses) & DENIED_OPS))
    if bad:
        details = "; ".join(
            f"{op} ({'Python callback' if op in DENIED_OPS else 'not core TensorFlow'},"
            f" in {', '.join(op_uses[op][:3]) or '?'})"
            for op in bad
        )
        raise OpAuditError(
            f"The exported graphs use ops a model server cannot run: {details}. "
            "Only core TensorFlow ops and tf-text's "
            f"{sorted(ALLOWED_CUSTOM_OPS)} are allowed: replace tf.py_function/"
            "tf.numpy_function and TF Text ops other than SentencePiece with "
            "core TensorFlow ops (see xlm_keras.text.packing)."
        )
    return {"core": sorted(core), "sentencepiece": custom}


def prefetch_core_ops():
    """Start listing the core ops in the background (`core_ops` waits)."""
    global _listing
    if _core_ops is None and _listing is None:
        _listing = subprocess.Popen(
            [sys.executable, "-c", _LIST_PLAIN_TENSORFLOW_OPS],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )


def core_ops():
    """frozenset of the ops registered by `import tensorflow` alone, in a
    fresh `python` (one subprocess per process; the answer is cached)."""
    global _core_ops, _listing
    if _core_ops is None:
        prefetch_core_ops()
        stdout, stderr = _listing.communicate()
        returncode, _listing = _listing.returncode, None
        if returncode:
            raise RuntimeError(
                f"Could not list the ops of a plain TensorFlow process: {stderr[-2000:]}"
            )
        _core_ops = frozenset(json.loads(stdout))
    return _core_ops


_core_ops = None  # frozenset of op names once listed.
_listing = None  # The listing subprocess while it runs.
