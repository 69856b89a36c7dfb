"""Call an exported classifier's `classify` / `classify_pair` the way a
server does: a fresh interpreter with only TensorFlow and tf-text's
SentencePiece kernels (`keras`, `keras_hub`, `xlm_keras`, `tensorflow_text`
blocked).

  python classify_child.py SAVED_MODEL_DIR SENTENCEPIECE_LIBRARY TEXTS.json

TEXTS.json: {"texts": [...], "pairs": [...]}. Prints JSON: for each
signature, `label` (strings) and `probabilities` (lists).
"""

import json
import os
import sys

for _name in ("tensorflow_text", "keras", "keras_hub", "xlm_keras", "tf_keras"):
    sys.modules[_name] = None
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402


def main(saved_model_dir, library, texts_file):
    tf.load_op_library(library)
    model = tf.saved_model.load(saved_model_dir)
    with open(texts_file) as f:
        request = json.load(f)
    text = tf.constant(request["texts"])
    outputs = {
        "classify": model.signatures["classify"](text=text),
        "classify_pair": model.signatures["classify_pair"](
            text=text, text_pair=tf.constant(request["pairs"])),
    }
    print(json.dumps({
        name: {"label": [label.decode() for label in output["label"].numpy()],
               "probabilities": output["probabilities"].numpy().tolist()}
        for name, output in outputs.items()
    }))


if __name__ == "__main__":
    main(*sys.argv[1:])
