"""Unicode tables as this Python's `unicodedata` has them, for graph ops that must match it.

transformers' XLM tokenizer decides with `unicodedata` (categories, NFD) and Python's `re`
(`\\d`); RE2 and ICU may use another Unicode version. These tables are read from Python
once per process, when a graph is built, so the graph agrees with the Python reference
that runs next to it.
"""

import functools
import unicodedata

_HANGUL_SYLLABLES = range(0xAC00, 0xD7A4)
_SURROGATES = range(0xD800, 0xE000)
#: The most code points one code point becomes under NFD once marks are dropped (Hangul LVT).
MAX_STRIPPED_LENGTH = 3


def re2_class_items(code_points):
    """RE2 character class items for ascending code points: "\\x{..}" or "\\x{..}-\\x{..}"."""
    ranges = []
    for point in code_points:
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    return [
        f"\\x{{{low:x}}}" if low == high else f"\\x{{{low:x}}}-\\x{{{high:x}}}"
        for low, high in ranges
    ]


@functools.cache
def category_class(categories):
    """RE2 class body of the code points whose general category is one of `categories`.

    Args: categories: tuple of category names, e.g. ("Nd",) or ("Cc", "Cf", "Co", "Cn").
    Surrogates are left out: UTF-8 text cannot hold them.
    """
    wanted = set(categories)
    points = (
        point
        for point in range(0x110000)
        if point not in _SURROGATES and unicodedata.category(chr(point)) in wanted
    )
    return "".join(re2_class_items(points))


@functools.lru_cache(maxsize=1)
def accent_stripping_table():
    """Every code point that NFD followed by dropping marks (category Mn) changes.

    Returns: (code_points: list of int, ascending [K]; replacements: list of [3] ints, the
    code points it becomes, padded with -1).
    """
    code_points, replacements = [], []
    for point in range(0x110000):
        char = chr(point)
        decomposition = unicodedata.decomposition(char)
        canonical = decomposition and not decomposition.startswith("<")
        if not (canonical or point in _HANGUL_SYLLABLES or unicodedata.category(char) == "Mn"):
            continue
        stripped = [
            ord(part)
            for part in unicodedata.normalize("NFD", char)
            if unicodedata.category(part) != "Mn"
        ]
        if stripped != [point]:
            code_points.append(point)
            replacements.append(stripped + [-1] * (MAX_STRIPPED_LENGTH - len(stripped)))
    return code_points, replacements
