"""Entity-level precision, recall and F1 for sequence labelling (NER).

Spans are read as conlleval and seqeval's default mode read them, from BIO
(IOB2 or IOB1) or IOBES tags: an entity counts as correct only when its
type, start and end all match a true entity.
"""

from collections import Counter

_PREFIXES = ("B", "I", "E", "S")


def _parse(tag, position):
    """`"B-PER"` -> `("B", "PER")`; `"O"` -> `("O", None)`."""
    if tag == "O":
        return "O", None
    if not (isinstance(tag, str) and tag[:1] in _PREFIXES and tag[1:2] == "-" and tag[2:]):
        raise ValueError(
            f"Tag {tag!r} at position {position} is not 'O' or one of the prefixes "
            f"{'/'.join(_PREFIXES)} with '-' and an entity type, e.g. 'B-PER'. "
            "Map other tagging schemes to BIO or IOBES first."
        )
    return tag[0], tag[2:]


def entity_spans(tags):
    """Entities in one tagged sentence, with conlleval's rules.

    `B-X` and `S-X` start an entity; `I-X` and `E-X` continue an open entity
    of type X after `B-X` or `I-X`, and otherwise start a new one (so `I-X`
    after `O` or after another type starts an entity); `E-X`, `S-X` and
    `O` close it.

    Args:
        tags: list of str [sequence], e.g. `["B-PER", "I-PER", "O"]`.

    Returns: list of `(type, start, end)` in order, `end` exclusive.
    """
    spans = []
    open_type, start, previous = None, 0, "O"
    for position, tag in enumerate(tags):
        prefix, entity_type = _parse(tag, position)
        continues = open_type == entity_type and previous in ("B", "I") and prefix in ("I", "E")
        if open_type is not None and not continues:
            spans.append((open_type, start, position))
            open_type = None
        if prefix != "O" and open_type is None:
            open_type, start = entity_type, position
        previous = prefix
    if open_type is not None:
        spans.append((open_type, start, len(tags)))
    return spans


def _scores(correct, true, predicted):
    """Precision, recall and F1 from counts; 0.0 where a ratio is undefined."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _all_spans(sequences):
    """`{(sentence_index, type, start, end)}` over all sentences."""
    return {(index,) + span for index, tags in enumerate(sequences) for span in entity_spans(tags)}


def entity_f1(true_sequences, predicted_sequences):
    """Micro-averaged entity precision, recall and F1, and scores per type.

    Args:
        true_sequences: list of tag lists, one per sentence.
        predicted_sequences: list of tag lists, each as long as its true one.

    Returns: dict with `precision`, `recall`, `f1` (floats in 0..1, 0.0 when
    undefined), the counts `true_entities`, `predicted_entities`,
    `correct_entities`, and `per_type`: `{type: {precision, recall, f1,
    support}}` for every type seen in either input, `support` being its
    number of true entities.
    """
    if len(true_sequences) != len(predicted_sequences):
        raise ValueError(
            f"Got {len(true_sequences)} true sentences but {len(predicted_sequences)} "
            "predicted ones. Pass one predicted tag list per true sentence."
        )
    for index, (true, predicted) in enumerate(zip(true_sequences, predicted_sequences)):
        if len(true) != len(predicted):
            raise ValueError(
                f"Sentence {index} has {len(true)} true tags but {len(predicted)} "
                "predicted tags. Predict exactly one tag per token."
            )
    true_spans = _all_spans(true_sequences)
    predicted_spans = _all_spans(predicted_sequences)
    correct_spans = true_spans & predicted_spans

    def count_types(spans):
        return Counter(span[1] for span in spans)

    true_types = count_types(true_spans)
    predicted_types = count_types(predicted_spans)
    correct_types = count_types(correct_spans)
    per_type = {
        entity_type: {
            **_scores(
                correct_types[entity_type], true_types[entity_type], predicted_types[entity_type]
            ),
            "support": true_types[entity_type],
        }
        for entity_type in sorted(true_types | predicted_types)
    }
    return {
        **_scores(len(correct_spans), len(true_spans), len(predicted_spans)),
        "true_entities": len(true_spans),
        "predicted_entities": len(predicted_spans),
        "correct_entities": len(correct_spans),
        "per_type": per_type,
    }
