"""Translation quality: BLEU and chrF (sacrebleu, on detokenised text) per
direction, with greedy decoding and beam search."""

import os
import weakref

import keras_hub
from sacrebleu.metrics import BLEU
from sacrebleu.metrics import CHRF

from xlm_keras.models.xlm_beam_sampler import XLMBeamSampler
from xlm_keras.training import reports

EVAL_BATCH = 32


def corpus_scores(hypotheses, references):
    """sacrebleu's corpus BLEU and chrF of detokenised strings (one
    reference each), with their signatures.

    Returns: {"bleu", "chrf"} (0-100), {"bleu", "chrf"} signature strings.
    """
    bleu, chrf = BLEU(), CHRF()
    scores = {
        "bleu": bleu.corpus_score(hypotheses, [references]).score,
        "chrf": chrf.corpus_score(hypotheses, [references]).score,
    }
    return scores, {"bleu": str(bleu.get_signature()), "chrf": str(chrf.get_signature())}


def require_tokenizer(model, preset):
    """Raise unless the translation `model` (loaded from `preset`) has its
    preprocessor: without its tokenizer it cannot read text."""
    if model.preprocessor is None:
        raise ValueError(
            f"The translation preset {preset} has no tokenizer (tokenizer.json), so it cannot "
            "read text; save it with its preprocessor (XLMSeq2SeqLM.save_to_preset)."
        )


def sampler_for(model, num_beams=1, length_penalty=1.0):
    """Greedy decoding (`num_beams=1`) or `XLMBeamSampler`."""
    if num_beams == 1:
        return keras_hub.samplers.GreedySampler()
    return XLMBeamSampler(
        num_beams, length_penalty, pad_token_id=model.preprocessor.tokenizer.pad_token_id
    )


# model -> {(num_beams, length_penalty): (sampler, generate function)}.
_GENERATE_FUNCTIONS = weakref.WeakKeyDictionary()


def use_decoding(model, num_beams=1, length_penalty=1.0):
    """Make `model.generate` decode greedily or with beams, without
    `compile` (which would attach an optimizer to a model under training);
    each decoding's compiled function is built once per model."""
    functions = _GENERATE_FUNCTIONS.setdefault(model, {})
    key = (num_beams, float(length_penalty))
    if key not in functions:
        model.sampler = sampler_for(model, num_beams, length_penalty)
        model.generate_function = None
        functions[key] = (model.sampler, model.make_generate_function())
    model.sampler, model.generate_function = functions[key]


def translate(
    model, sources, direction, max_length, num_beams=1, length_penalty=1.0, batch_size=EVAL_BATCH
):
    """Translations (str) of `sources` from `direction[0]` to `direction[1]`
    by an `XLMSeq2SeqLM` with a preprocessor: greedy (`num_beams=1`) or
    beam search, at most `max_length` tokens."""
    use_decoding(model, num_beams, length_penalty)
    translations = []
    for start in range(0, len(sources), batch_size):
        batch = {
            "source": sources[start : start + batch_size],
            "source_language": direction[0],
            "target_language": direction[1],
        }
        outputs = model.generate(batch, max_length=max_length)
        translations += [outputs] if isinstance(outputs, str) else list(outputs)
    return translations


def direction_scores(
    model, sources, references, direction, max_length, num_beams=1, length_penalty=1.0
):
    """BLEU and chrF of one direction's translations, and the signatures."""
    return corpus_scores(
        translate(model, sources, direction, max_length, num_beams, length_penalty), references
    )


def decoding_name(num_beams):
    return "greedy" if num_beams == 1 else f"beam{num_beams}"


def translation_report(
    model, pairs, split, max_length, num_beams=4, length_penalty=1.0, output_dir=None
):
    """BLEU and chrF per direction, greedy and with `num_beams` beams.

    Args:
        model: `XLMSeq2SeqLM` with its preprocessor.
        pairs: dict direction (source, target) -> (sources, references).
        split: the data's name in the report.
        max_length: longest translation, in tokens (the decoder's length).
        output_dir: when given, the texts go there, one line each (for
            `sacrebleu REF -i SYSTEM_A SYSTEM_B --paired-bs`):
            `<split>.<direction>.{source,reference,greedy,beam4}.txt`.

    Returns: JSON-ready dict: split, decodings (names), signatures
    {"bleu", "chrf"}, directions {"en-fr": {"pairs", "greedy": {"bleu",
    "chrf"}, "beam4": {...}, "copy": {...}}}, average {decoding or "copy":
    {"bleu", "chrf"}}. "copy" scores the sources as translations (the
    baseline an untrained or collapsed model scores).
    """
    decodings = sorted({1, num_beams})
    directions, signatures = {}, {}
    for direction, (sources, references) in pairs.items():
        name = "-".join(direction)
        row = {"pairs": len(sources)}
        texts = {"source": sources, "reference": references}
        for beams in decodings:
            texts[decoding_name(beams)] = translate(
                model, sources, direction, max_length, beams, length_penalty
            )
            row[decoding_name(beams)], signatures = corpus_scores(
                texts[decoding_name(beams)], references
            )
        row["copy"], _ = corpus_scores(sources, references)
        directions[name] = row
        if output_dir:
            write_texts(texts, output_dir, f"{split}.{name}")
    names = [decoding_name(beams) for beams in decodings]
    average = {
        name: {
            metric: sum(r[name][metric] for r in directions.values()) / len(directions)
            for metric in ("bleu", "chrf")
        }
        for name in names + ["copy"]
    }
    return {
        "split": split,
        "decodings": names,
        "length_penalty": length_penalty,
        "signatures": signatures,
        "directions": directions,
        "average": average,
    }


def write_texts(texts, output_dir, prefix):
    """Each `{kind: [str]}` list as `output_dir/<prefix>.<kind>.txt`, one line each."""
    os.makedirs(output_dir, exist_ok=True)
    for kind, lines in texts.items():
        path = os.path.join(output_dir, f"{prefix}.{kind}.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(" ".join(line.split()) + "\n" for line in lines)


def format_report(report):
    """A Markdown table: one row per direction, BLEU and chrF per decoding
    and of the copy baseline, then the sacrebleu signatures."""
    names = report["decodings"] + ["copy"]
    header = " | ".join(f"BLEU {name} | chrF {name}" for name in names)
    lines = [f"| direction | pairs | {header} |", "|---|---:" + "|---:" * 2 * len(names) + "|"]
    for direction, row in sorted(report["directions"].items()):
        cells = " | ".join(f"{row[n]['bleu']:.2f} | {row[n]['chrf']:.2f}" for n in names)
        lines.append(f"| {direction} | {row['pairs']} | {cells} |")
    cells = " | ".join(
        f"{report['average'][n]['bleu']:.2f} | {report['average'][n]['chrf']:.2f}" for n in names
    )
    lines.append(f"| average | | {cells} |")
    lines.append("")
    lines += [
        f"sacrebleu {metric}: {signature}"
        for metric, signature in sorted(report["signatures"].items())
    ]
    return "\n".join(lines)


def write_report(report, json_path, writer=None, step=0):
    """The report as JSON, and as TensorBoard text + scalars when `writer`."""
    scalars = {
        f"translation/{metric}_{name}/{direction}": row[name][metric]
        for direction, row in report["directions"].items()
        for name in report["decodings"] + ["copy"]
        for metric in ("bleu", "chrf")
    }
    text = (f"translation/{report['split']}", format_report(report))
    reports.write_report(report, json_path, writer, step, text, scalars)
