"""Source lines that a translation model cuts at its length."""

import numpy as np


def count_cut_lines(model, lines, source_language, batch_size):
    """How many `lines` are longer than the model's source rows
    (`encoder_sequence_length`, specials included), so that only their start
    is translated: those that fill a row one longer."""
    preprocessor = model.preprocessor
    length = preprocessor.encoder_sequence_length
    cut = 0
    for start in range(0, len(lines), batch_size):
        packed = preprocessor.pack(
            lines[start : start + batch_size],
            language=source_language,
            sequence_length=length + 1,
            names=("source", "source_language"),
        )
        cut += int(np.sum(np.sum(packed["padding_mask"], axis=-1) > length))
    return cut
