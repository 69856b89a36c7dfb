"""How far shared subword pieces alone carry zero-shot transfer on a
classification task: a logistic regression on bags of SentencePiece pieces,
fit on the training language, tested in every language. A pretrained model
that transfers through real cross-lingual alignment should beat it.

  python tools/lexical_baseline.py --tokenizer=/tmp/pretrain/preset
  python tools/lexical_baseline.py --tokenizer=/tmp/pretrain/preset --task_data=~/my_task

Prints one accuracy per language as a Markdown table. Needs scikit-learn
(installed with the dev extras, through seqeval).
"""

import numpy as np
from absl import app
from absl import flags
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from xlm_keras.finetuning.task_data import SAMPLE_TASK_DIR
from xlm_keras.finetuning.task_data import open_task_data
from xlm_keras.models.xlm_tokenizer import XLMTokenizer

_TOKENIZER = flags.DEFINE_string(
    "tokenizer", None, "Tokenizer or model preset directory.", required=True
)
_TASK_DATA = flags.DEFINE_string("task_data", SAMPLE_TASK_DIR, "Classification task directory.")
_TRAIN_LANGUAGE = flags.DEFINE_string("train_language", "en", "Language to fit on.")
_SPLIT = flags.DEFINE_string("split", "test", "Split to test on.")


def bags_of_pieces(tokenizer, texts):
    """float32 sparse [len(texts), vocabulary_size]: 1 where a piece occurs."""
    ids = tokenizer.tokenize(texts)
    rows = np.repeat(np.arange(len(texts)), ids.row_lengths().numpy())
    bags = sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, ids.flat_values.numpy())),
        shape=(len(texts), tokenizer.vocabulary_size()),
    )
    bags.data[:] = 1.0
    return bags


def main(argv):
    del argv
    tokenizer = XLMTokenizer.from_preset(_TOKENIZER.value)
    task_data = open_task_data(_TASK_DATA.value, "classification")

    def features_and_labels(split, language):
        records = task_data.records(split, language)
        return (
            bags_of_pieces(tokenizer, [r["text"] for r in records]),
            np.array([r["label"] for r in records]),
        )

    classifier = LogisticRegression(max_iter=2000).fit(
        *features_and_labels("train", _TRAIN_LANGUAGE.value)
    )
    rows = [f"| language | bag-of-pieces accuracy ({_SPLIT.value}) |", "|---|---:|"]
    for language in task_data.languages(_SPLIT.value):
        features, labels = features_and_labels(_SPLIT.value, language)
        rows.append(f"| {language} | {classifier.score(features, labels):.3f} |")
    print("\n".join(rows))


if __name__ == "__main__":
    app.run(main)
