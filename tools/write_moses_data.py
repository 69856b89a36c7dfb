"""Write xlm_keras/text/moses_data.py from sacremoses' data (run at development time).

  python tools/write_moses_data.py

The in-graph Moses tokenizer (xlm_keras/text/moses_tokenize.py) needs the character classes
sacremoses' MosesTokenizer uses (Perl Unicode properties, as RE2 classes) and the Moses
non-breaking prefix lists of every language sacremoses has. Both are data: they are copied
here once so that the package neither imports sacremoses nor reads files at run time.
"""

import subprocess
import textwrap
from pathlib import Path

from sacremoses.corpus import NonbreakingPrefixes
from sacremoses.corpus import Perluniprops
from sacremoses.tokenize import MosesTokenizer

from xlm_keras.text.python_unicode import re2_class_items

OUTPUT = Path(__file__).resolve().parents[1] / "xlm_keras" / "text" / "moses_data.py"

HEADER = '''"""Moses data for the in-graph tokenizer: character classes and non-breaking prefixes.

Written by tools/write_moses_data.py from sacremoses {version} (its copies of the Moses
non-breaking prefix files, LGPL data from the Moses decoder, and of the Perl Unicode
properties it tokenizes with). Do not edit by hand; rerun the tool.
"""
'''


def prefix_lists(language):
    """(plain, numeric_only): the prefixes that keep their period, as MosesTokenizer reads them."""
    tokenizer = MosesTokenizer(lang=language)
    numeric_only = sorted(set(tokenizer.NUMERIC_ONLY_PREFIXES))
    plain = sorted(
        {prefix for prefix in tokenizer.NONBREAKING_PREFIXES if " " not in prefix}
        - set(numeric_only)
    )
    return plain, numeric_only


def python_literal(name, comment, ranges):
    """`name = (r"..." r"...")`, lines of whole ranges under 90 characters."""
    lines = [f"#: {comment}", f"{name} = ("]
    line = ""
    for item in ranges:
        if len(line) + len(item) > 86:
            lines.append(f'    r"{line}"')
            line = ""
        line += item
    lines.append(f'    r"{line}"')
    lines.append(")")
    return "\n".join(lines)


def main():
    import sacremoses

    properties = Perluniprops()
    cjk_korean = "".join(properties.chars("Hangul"))
    classes = [
        ("IS_N", "Perl's IsN: numbers.", MosesTokenizer.IsN),
        ("IS_ALNUM", "Perl's IsAlnum plus Indic viramas and nuktas.", MosesTokenizer.IsAlnum),
        ("IS_ALPHA", "Perl's IsAlpha plus Indic viramas and nuktas.", MosesTokenizer.IsAlpha),
        ("IS_LOWER", "Perl's IsLower: lower-case letters.", MosesTokenizer.IsLower),
        ("HANGUL", "Hangul, alphabetic for Korean (lang 'ko') only.", cjk_korean),
    ]
    parts = [HEADER.format(version=sacremoses.__version__)]
    for name, comment, chars in classes:
        parts.append(
            python_literal(
                name,
                comment + " RE2 class body.",
                re2_class_items(sorted({ord(char) for char in chars})),
            )
        )
    languages = sorted(set(NonbreakingPrefixes().available_langs.values()))
    lines = [
        "#: language -> (plain, numeric_only) prefixes, space-separated. A token 'prefix.' keeps",
        "#: its period when prefix is plain, or numeric-only and the next token is a number.",
        "#: Languages without a list use English's, as sacremoses does.",
        "NONBREAKING_PREFIXES = {",
    ]
    for language in languages:
        lines.append(f"    {language!r}: (")
        for prefixes in prefix_lists(language):
            chunks = textwrap.wrap(" ".join(prefixes), width=60, break_long_words=False)
            chunks = [chunk + " " for chunk in chunks[:-1]] + chunks[-1:] or [""]
            lines += ["        ("] + [f"            {chunk!r}" for chunk in chunks] + ["        ),"]
        lines.append("    ),")
    lines.append("}")
    parts.append("\n".join(lines))
    OUTPUT.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    subprocess.run(["ruff", "format", "--quiet", str(OUTPUT)], check=True)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(languages)} languages)")


if __name__ == "__main__":
    main()
