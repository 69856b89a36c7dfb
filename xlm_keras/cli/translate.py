"""`xlm-translate`: translate the lines of a file (or stdin) with a
translation preset, one output line per input line.

  xlm-translate --preset=/tmp/mt/preset --source_language=en --target_language=fr \
      < in.txt > out.txt
  xlm-translate --workdir=/tmp/mt --source_language=fr --target_language=en \
      --input=in.txt --output=out.txt --num_beams=4

Greedy decoding with `--num_beams=1`, beam search above; progress goes to
stderr. An empty input line gives an empty output line. A file and stdin are
read alike: bytes that are not UTF-8 become U+FFFD. stderr counts, once
each, the lines that had such bytes and the lines cut at the model's source
length (only their start is translated).
"""

import contextlib
import os
import sys
import time

from absl import flags

from xlm_keras.cli.errors import check_range
from xlm_keras.cli.errors import run_program
from xlm_keras.native_stderr import start_up_lines_held
from xlm_keras.translation.config import LENGTH_PENALTY_LOW
from xlm_keras.translation.long_lines import count_cut_lines

_PRESET = flags.DEFINE_string("preset", None, "Translation preset directory.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Translation run workdir: uses workdir/preset.")
_SOURCE = flags.DEFINE_string("source_language", None, "Language code of the input lines.")
_TARGET = flags.DEFINE_string("target_language", None, "Language code to translate into.")
_INPUT = flags.DEFINE_string("input", "-", "Text file, one sentence per line; '-' = stdin.")
_OUTPUT = flags.DEFINE_string("output", "-", "Where the translations go; '-' = stdout.")
_NUM_BEAMS = flags.DEFINE_integer("num_beams", 1, "1 = greedy; more = beam search.", lower_bound=1)
_LENGTH_PENALTY = flags.DEFINE_float("length_penalty", 1.0, "Beam length penalty exponent.")
check_range(_LENGTH_PENALTY, LENGTH_PENALTY_LOW)
_BATCH = flags.DEFINE_integer("batch_size", 32, "Sentences per generate call.", lower_bound=1)
_MAX_LENGTH = flags.DEFINE_integer(
    "max_length", None, "Most target tokens; default: the preset's decoder length.", lower_bound=2
)


def read_lines(path):
    """`(lines, invalid)`: the lines of file `path` ('-': stdin) without
    their line ends (`\\n`, `\\r\\n` or `\\r`), bytes that are not UTF-8
    replaced with U+FFFD, and how many lines had such bytes."""
    with (
        contextlib.nullcontext(sys.stdin.buffer)
        if path == "-"
        else open(os.path.expanduser(path), "rb")
    ) as f:
        raw_lines = f.read().splitlines()
    lines, invalid = [], 0
    for raw in raw_lines:
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("utf-8", errors="replace"))
            invalid += 1
    return lines, invalid


def input_lines(count):
    return f"{count} input line{'s' * (count != 1)}"


def load_translator(preset):
    """The `XLMSeq2SeqLM` of `preset`, refused with the reason when the preset
    is not a translation model with its tokenizer."""
    from xlm_keras.models import XLMSeq2SeqLM
    from xlm_keras.models import load_model
    from xlm_keras.translation.evaluation import require_tokenizer

    model = load_model(preset)
    if not isinstance(model, XLMSeq2SeqLM):
        raise ValueError(
            f"{preset} holds a {type(model).__name__}, not a translation model "
            "(XLMSeq2SeqLM); give the preset of an xlm-train run with a translation config."
        )
    require_tokenizer(model, preset)
    return model


def check_direction(model, source, target):
    """Refuse language codes the model's tokenizer does not know."""
    if not model.preprocessor.use_language_ids:
        return
    known = list(model.preprocessor.tokenizer.languages)
    for flag, code in (("--source_language", source), ("--target_language", target)):
        if code not in known:
            raise ValueError(f"{flag}={code!r} is not a language of this model; it knows {known}.")


def translate_lines(model, lines, direction, max_length, num_beams, length_penalty, batch_size):
    """Yield the translation (str) of each line, in order, logging progress."""
    from xlm_keras.translation.evaluation import translate

    started = time.monotonic()
    for start in range(0, len(lines), batch_size):
        batch = lines[start : start + batch_size]
        texts = [line for line in batch if line.strip()]
        # The first batch builds the model's graphs: XLA's notices held back.
        with start_up_lines_held() if start == 0 else contextlib.nullcontext():
            outputs = iter(
                translate(
                    model, texts, direction, max_length, num_beams, length_penalty, batch_size
                )
                if texts
                else []
            )
        yield from (next(outputs) if line.strip() else "" for line in batch)
        done = start + len(batch)
        rate = done / max(time.monotonic() - started, 1e-9)
        print(f"\r{done}/{len(lines)} lines, {rate:.1f} lines/s", end="", file=sys.stderr)
    print(file=sys.stderr)


def main(argv):
    del argv
    if not (_PRESET.value or _WORKDIR.value):
        raise ValueError("give --preset=DIR (a translation preset) or --workdir=DIR (its run)")
    if not (_SOURCE.value and _TARGET.value):
        raise ValueError("give --source_language and --target_language, e.g. en and fr")
    lines, invalid = read_lines(_INPUT.value)
    if invalid:
        print(
            f"xlm-translate: {input_lines(invalid)} had invalid UTF-8, replaced with U+FFFD",
            file=sys.stderr,
        )
    model = load_translator(_PRESET.value or os.path.join(_WORKDIR.value, "preset"))
    check_direction(model, _SOURCE.value, _TARGET.value)
    with start_up_lines_held():  # The tokenizer's first graph: TensorFlow's notices.
        cut = count_cut_lines(model, lines, _SOURCE.value, _BATCH.value)
    if cut:
        print(
            f"xlm-translate: cut {input_lines(cut)} at the model's source length "
            f"({model.preprocessor.encoder_sequence_length} tokens, specials included); only "
            "their start is translated",
            file=sys.stderr,
        )
    max_length = _MAX_LENGTH.value or model.preprocessor.decoder_sequence_length
    translations = translate_lines(
        model,
        lines,
        (_SOURCE.value, _TARGET.value),
        max_length,
        _NUM_BEAMS.value,
        _LENGTH_PENALTY.value,
        _BATCH.value,
    )
    if _OUTPUT.value == "-":
        for translation in translations:
            print(translation)
        return
    with open(os.path.expanduser(_OUTPUT.value), "w", encoding="utf-8") as f:
        for translation in translations:
            f.write(translation + "\n")


def run():
    run_program(main, "xlm-translate")


if __name__ == "__main__":
    run()
