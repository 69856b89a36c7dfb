"""BLEU/chrF report numbers are sacrebleu's own, on fixed strings."""

import types

import pytest
import sacrebleu

from xlm_keras.translation import evaluation

HYPOTHESES = ["Le chat est assis sur le tapis.", "Ouvrez le fichier", "Bonjour le monde !"]
REFERENCES = ["Le chat est assis sur le tapis.", "Ouvrez le fichier.", "Bonjour tout le monde !"]


def test_scores_equal_sacrebleu():
    scores, signatures = evaluation.corpus_scores(HYPOTHESES, REFERENCES)
    assert scores["bleu"] == sacrebleu.corpus_bleu(HYPOTHESES, [REFERENCES]).score
    assert scores["chrf"] == sacrebleu.corpus_chrf(HYPOTHESES, [REFERENCES]).score
    assert 0 < scores["bleu"] < 100 and 0 < scores["chrf"] < 100
    assert signatures["bleu"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    assert signatures["chrf"].startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:")


def test_report_table_lists_every_direction_and_the_signatures():
    row = {
        "pairs": 3,
        "greedy": {"bleu": 12.5, "chrf": 40.0},
        "beam4": {"bleu": 14.0, "chrf": 41.0},
        "copy": {"bleu": 1.0, "chrf": 20.0},
    }
    report = {
        "split": "test",
        "decodings": ["greedy", "beam4"],
        "length_penalty": 1.0,
        "signatures": {"bleu": "nrefs:1|tok:13a", "chrf": "nrefs:1|nc:6"},
        "directions": {"en-fr": row, "fr-en": row},
        "average": {
            "greedy": {"bleu": 12.5, "chrf": 40.0},
            "beam4": {"bleu": 14.0, "chrf": 41.0},
            "copy": {"bleu": 1.0, "chrf": 20.0},
        },
    }
    table = evaluation.format_report(report)
    assert (
        "| direction | pairs | BLEU greedy | chrF greedy | BLEU beam4 | chrF beam4 | BLEU copy |"
        in table
    )
    assert "| en-fr | 3 | 12.50 | 40.00 | 14.00 | 41.00 | 1.00 | 20.00 |" in table
    assert "| average | | 12.50 | 40.00 | 14.00 | 41.00 | 1.00 | 20.00 |" in table
    assert "sacrebleu bleu: nrefs:1|tok:13a" in table


def test_a_translator_without_its_tokenizer_is_named():
    untokenized = types.SimpleNamespace(preprocessor=None)
    with pytest.raises(ValueError, match="preset /p/mt has no tokenizer"):
        evaluation.require_tokenizer(untokenized, "/p/mt")
