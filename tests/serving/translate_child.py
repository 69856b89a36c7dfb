"""Load exported translation SavedModels the way a server does and call
`translate` (`test_translate_export.py` starts it).

Runs in a fresh interpreter with `tensorflow_text`, `keras`, `keras_hub`
and `xlm_keras` blocked: only TensorFlow plus tf-text's SentencePiece
kernels, loaded from their `.so`.

  python translate_child.py SPEC.json

SPEC: {"library": path of _sentencepiece_tokenizer.so, "out": file,
       "models": {name: {"path", "texts", "source_languages",
                         "target_languages" (null without languages),
                         "known_languages"}}}
Writes `out` (JSON): per model the signatures, the translations and
scores of `texts`, the warm-up replay, the language errors and the
hostile-input report.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from saved_model_child import HOSTILE_BATCH  # noqa: E402 (blocks keras & co. first)
from saved_model_child import SEED  # noqa: E402
from saved_model_child import hostile_texts  # noqa: E402
from saved_model_child import huge_texts  # noqa: E402
from saved_model_child import replay_warmup  # noqa: E402


def translate(model, texts, sources=None, targets=None):
    inputs = {"text": tf.constant(texts, tf.string, shape=[len(texts)])}
    if sources is not None:
        inputs["source_language"] = tf.constant(sources, tf.string, shape=[len(sources)])
        inputs["target_language"] = tf.constant(targets, tf.string, shape=[len(targets)])
    outputs = model.signatures["translate"](**inputs)
    return outputs["translation"].numpy(), outputs["score"].numpy()


def hostile(model, spec):
    """Hostile texts (empty, 1 MB, invalid UTF-8, batch 0...) must give one
    string and one finite score per row; hostile codes INVALID_ARGUMENT."""
    report = {"inputs": 0, "crashes": [], "bad_outputs": [], "expected_errors": 0}
    known = spec["known_languages"]
    rng = np.random.default_rng(SEED)
    texts = hostile_texts(rng)
    batches = [[], huge_texts()] + [
        texts[i : i + HOSTILE_BATCH] for i in range(0, len(texts), HOSTILE_BATCH)
    ]
    for batch in batches:
        report["inputs"] += len(batch)
        languages = None
        if spec["target_languages"] is not None:
            languages = [known[i % len(known)] for i in range(len(batch))]
        try:
            translation, score = translate(
                model, batch, languages, languages[::-1] if languages is not None else None
            )
        except Exception as error:  # noqa: BLE001 - any exception is a crash here.
            report["crashes"].append(f"{type(error).__name__}: {str(error)[:300]}")
            continue
        if translation.shape != (len(batch),) or score.shape != (len(batch),):
            report["bad_outputs"].append(f"shapes {translation.shape}, {score.shape}")
        elif not (np.isfinite(score).all() and (score <= 0).all()):
            report["bad_outputs"].append("a score is not a finite log-probability")
    if spec["target_languages"] is not None:
        for code in texts[:10]:
            for side in ("source", "target"):
                codes = {"source": [b"en"], "target": [b"fr"]}
                codes[side] = [code]
                try:
                    translate(model, [b"x"], codes["source"], codes["target"])
                    report["crashes"].append(f"{side} language {code[:20]!r} was accepted")
                except tf.errors.InvalidArgumentError as error:
                    if "known codes: " + ", ".join(known) in error.message:
                        report["expected_errors"] += 1
                    else:
                        report["crashes"].append(f"error without codes: {error.message[:200]}")
    return report


def run_model(spec):
    model = tf.saved_model.load(spec["path"])
    translation, score = translate(
        model, spec["texts"], spec["source_languages"], spec["target_languages"]
    )
    summary = {
        "signatures": sorted(model.signatures),
        "translations": [t.decode("utf-8") for t in translation],
        "scores": score.tolist(),
        "warmup": replay_warmup(
            model, os.path.join(spec["path"], "assets.extra", "tf_serving_warmup_requests")
        ),
    }
    if spec["target_languages"] is not None:
        try:
            translate(model, ["a", "b"], ["en", "en"], ["fr", "xx"])
            summary["unknown_language"] = None
        except tf.errors.InvalidArgumentError as error:
            summary["unknown_language"] = error.message
    summary["hostile"] = hostile(model, spec)
    return summary


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    tf.load_op_library(spec["library"])
    summary = {name: run_model(model) for name, model in spec["models"].items()}
    summary["modules"] = sorted(
        m
        for m in ("tensorflow_text", "keras", "keras_hub", "xlm_keras")
        if sys.modules.get(m) is not None
    )
    with open(spec["out"], "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
