"""Training tests share the root conftest's `tokenizer_dir` fixture."""

from tests.conftest import LANGUAGES  # noqa: F401
