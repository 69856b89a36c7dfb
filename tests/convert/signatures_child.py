"""Call an exported task's signatures the way a server does: a fresh
interpreter with only TensorFlow and tf-text's SentencePiece kernels
(`keras`, `keras_hub`, `xlm_keras`, `tensorflow_text` blocked).

  python classify_child.py SAVED_MODEL_DIR SENTENCEPIECE_LIBRARY REQUESTS.json

REQUESTS.json: {signature: {input name: [strings]}}. Prints JSON:
{signature: {output name: nested lists, strings decoded}}.
"""

import json
import os
import sys

for _name in ("tensorflow_text", "keras", "keras_hub", "xlm_keras", "tf_keras"):
    sys.modules[_name] = None
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def _listed(value):
    value = value.numpy()
    if value.dtype == object:
        return np.vectorize(lambda item: item.decode(), otypes=[object])(value).tolist()
    return value.tolist()


def main(saved_model_dir, library, requests_file):
    tf.load_op_library(library)
    model = tf.saved_model.load(saved_model_dir)
    with open(requests_file) as f:
        requests = json.load(f)
    answers = {}
    for signature, inputs in requests.items():
        outputs = model.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
        answers[signature] = {name: _listed(value) for name, value in outputs.items()}
    print(json.dumps(answers))


if __name__ == "__main__":
    main(*sys.argv[1:])
