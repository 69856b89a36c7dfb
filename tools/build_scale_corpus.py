"""Write a multi-GB multilingual corpus from real text, for measurements at scale.

  python tools/build_scale_corpus.py --output_dir=/data/scale --gigabytes=1.5
  python tools/build_scale_corpus.py --output_dir=/data/scale --layouts=plain,gz,xz,shards

Reads the training lines of each language from `--source_dir` (default: the help corpus that
`tools/build_corpus.py` writes to ~/.cache/xlm_keras/corpus, else the bundled sample) and writes
`--gigabytes` of monolingual text, split equally between `--languages`. The text is the source
lines in rounds: each round shuffles them, and each line is written as it is or lightly perturbed
(two neighbouring words swapped, a word dropped, a word repeated, or joined with the next line),
so the output is not one text repeated verbatim. Seeded: the same flags write the same bytes.

Each layout goes to its own corpus directory, `<output_dir>/<layout>/`:

  plain    mono/<lang>.train.txt
  gz       mono/<lang>.train.txt.gz
  xz       mono/<lang>.train.txt.xz             (how CC-100 ships)
  shards   mono/<lang>.train-00000-of-0000N.txt (`--shards` files per language)

Every layout also gets the source's `mono/<lang>.test.txt` and the `parallel/<l1>-<l2>.*.tsv`
files between the chosen languages, copied as they are (not scaled).
"""

import argparse
import gzip
import lzma
import random
import shutil
from pathlib import Path

LAYOUTS = ("plain", "gz", "xz", "shards")
HELP_CORPUS_DIR = Path.home() / ".cache/xlm_keras/corpus"
SAMPLE_CORPUS_DIR = Path(__file__).resolve().parents[1] / "xlm_keras/data/sample_corpus"
# Share of output lines written verbatim; the rest get one perturbation each.
VERBATIM_SHARE = 0.4


def perturbed_lines(lines, rng):
    """Yield `lines` forever, in rounds: each round shuffled, each line as it
    is (`VERBATIM_SHARE` of them) or with one light perturbation."""
    order = list(lines)
    while True:
        rng.shuffle(order)
        for i, line in enumerate(order):
            yield perturb(line, order[i - 1], rng)


def perturb(line, other_line, rng):
    """`line`, or `line` with two neighbouring words swapped, a word dropped,
    a word repeated, or `other_line` appended."""
    draw = rng.random()
    if draw < VERBATIM_SHARE:
        return line
    words = line.split(" ")
    if len(words) < 3:
        return f"{line} {other_line}"
    i = rng.randrange(len(words) - 1)
    kind = int((draw - VERBATIM_SHARE) / (1 - VERBATIM_SHARE) * 4)
    if kind == 0:
        words[i], words[i + 1] = words[i + 1], words[i]
    elif kind == 1:
        del words[i]
    elif kind == 2:
        words.insert(i, words[i])
    else:
        words.append(other_line)
    return " ".join(words)


def layout_paths(directory, language, layout, shards):
    """The training files of `language` in `layout` under corpus `directory`."""
    mono = Path(directory) / layout / "mono"
    if layout == "shards":
        return [mono / f"{language}.train-{i:05d}-of-{shards:05d}.txt" for i in range(shards)]
    suffix = {"plain": "", "gz": ".gz", "xz": ".xz"}[layout]
    return [mono / f"{language}.train.txt{suffix}"]


def _open(path):
    if path.suffix == ".gz":
        return gzip.open(path, "wb", compresslevel=1)
    if path.suffix == ".xz":
        return lzma.open(path, "wb", preset=1)
    return open(path, "wb")


def write_language(lines, target_bytes, outputs, seed):
    """Write `target_bytes` (at least one line) of `perturbed_lines(lines)` to
    each list of paths in `outputs`, filling a list's files one after the
    other with about equal bytes. Returns the number of lines written."""
    rng = random.Random(seed)
    files = [[_open(path) for path in paths] for paths in outputs]
    written = count = 0
    try:
        for line in perturbed_lines(lines, rng):
            data = (line + "\n").encode("utf-8")
            for group in files:
                group[min(written * len(group) // target_bytes, len(group) - 1)].write(data)
            written += len(data)
            count += 1
            if written >= target_bytes:
                return count
    finally:
        for group in files:
            for f in group:
                f.close()


def source_lines(source_dir, language):
    path = Path(source_dir) / "mono" / f"{language}.train.txt"
    if not path.is_file():
        raise SystemExit(f"{path} not found: pick --languages that {source_dir} has.")
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def copy_small_files(source_dir, directory, languages):
    """The source's test text and its parallel files between `languages`."""
    source = Path(source_dir)
    copies = [source / "mono" / f"{code}.test.txt" for code in languages]
    for path in sorted((source / "parallel").glob("*.tsv")):
        pair = path.name.split(".")[0].split("-")
        if set(pair) <= set(languages):
            copies.append(path)
    for path in copies:
        if path.is_file():
            target = Path(directory) / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def build(source_dir, output_dir, *, languages, gigabytes, layouts, shards, seed=0):
    """Write the corpus (see the module docstring); returns lines per language."""
    target_bytes = max(1, int(gigabytes * 1e9 / len(languages)))
    counts = {}
    for layout in layouts:
        (Path(output_dir) / layout / "mono").mkdir(parents=True, exist_ok=True)
        copy_small_files(source_dir, Path(output_dir) / layout, languages)
    for index, code in enumerate(languages):
        outputs = [layout_paths(output_dir, code, layout, shards) for layout in layouts]
        counts[code] = write_language(
            source_lines(source_dir, code), target_bytes, outputs, seed + index
        )
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    default_source = HELP_CORPUS_DIR if (HELP_CORPUS_DIR / "mono").is_dir() else SAMPLE_CORPUS_DIR
    parser.add_argument("--source_dir", type=Path, default=default_source, help="Real text.")
    parser.add_argument("--output_dir", type=Path, required=True, help="Written here.")
    parser.add_argument("--gigabytes", type=float, default=1.5, help="Monolingual text, 1e9 B.")
    parser.add_argument("--languages", default="en,fr,de,es", help="Comma-separated codes.")
    parser.add_argument("--layouts", default="plain", help=f"Comma list of {LAYOUTS}.")
    parser.add_argument("--shards", type=int, default=4, help="Files per language in shards.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    layouts = args.layouts.split(",")
    unknown = sorted(set(layouts) - set(LAYOUTS))
    if unknown:
        parser.error(f"--layouts={args.layouts}: unknown {unknown}; pick from {LAYOUTS}.")
    if args.gigabytes <= 0 or args.shards < 1:
        parser.error("--gigabytes must be above 0 and --shards at least 1.")
    counts = build(
        args.source_dir,
        args.output_dir,
        languages=args.languages.split(","),
        gigabytes=args.gigabytes,
        layouts=layouts,
        shards=args.shards,
        seed=args.seed,
    )
    for code, count in counts.items():
        print(f"{code}: {count} lines")


if __name__ == "__main__":
    main()
