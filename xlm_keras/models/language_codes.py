"""`LanguageCodes`: a tokenizer's language list and its code -> id map."""

import tensorflow as tf


class LanguageCodes:
    """Mixin of the XLM tokenizers: `languages` (a code's index is its
    language id), `language_id` in Python and `language_ids` in graph."""

    def _set_languages(self, languages):
        languages = [] if languages is None else languages
        if not isinstance(languages, (list, tuple)) or not all(
            isinstance(code, str) and code for code in languages
        ):
            raise ValueError(
                "languages must be a list of non-empty language codes, e.g. "
                f"['en', 'fr']; got {languages!r}."
            )
        repeated = sorted({code for code in languages if languages.count(code) > 1})
        if repeated:
            raise ValueError(f"languages lists {repeated} more than once: {languages}.")
        self.languages = list(languages)
        self._language_table = None
        if languages:
            self._language_table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    tf.constant(self.languages), tf.range(len(self.languages), dtype=tf.int32)
                ),
                default_value=-1,
            )

    def language_id(self, code):
        """The language id (index in `languages`) of the code `code`."""
        if code not in self.languages:
            raise ValueError(
                f"Unknown language code {code!r}; this tokenizer knows {list(self.languages)}."
            )
        return self.languages.index(code)

    def language_ids(self, codes):
        """Language codes to language ids, in graph.

        Args:
            codes: tf.string, any shape.

        Returns: int32, the shape of `codes`. An unknown code raises
        `tf.errors.InvalidArgumentError` naming it and the known codes.
        """
        if self._language_table is None:
            raise ValueError(
                "This tokenizer has no languages; build it with "
                "languages=['en', ...] to map language codes."
            )
        codes = tf.convert_to_tensor(codes, tf.string)
        ids = self._language_table.lookup(codes)
        unknown = tf.reshape(ids < 0, [-1])
        check = tf.debugging.Assert(
            tf.logical_not(tf.reduce_any(unknown)),
            [
                f"Unknown language code; known codes: {', '.join(self.languages)}. Got:",
                tf.boolean_mask(tf.reshape(codes, [-1]), unknown),
            ],
        )
        with tf.control_dependencies([check]):
            return tf.identity(ids)
