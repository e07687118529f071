"""Optional semantic search: sentence embeddings from a model that ships inside a PyPI package.

The model is `WordLlama <https://pypi.org/project/wordllama/>`_'s default ``l2_supercat`` (256
dimensions): its wheel bundles the token embedding weights and the tokenizer, so nothing is downloaded at
run time (Quanta loads it with downloads disabled, from the package's own folder). An embedding is the
normalised, weighted average of token embeddings: about 0.1 ms per short text on one core, and
10,000 product vectors are 10 MB.

It is an optional extra (``pip install 'quanta[semantic]'``). Without it, or with the setting
``QUANTA_SERVE_SEMANTIC=0``, :func:`load_embedder` returns ``None`` and the marketplace search is
full-text only (:mod:`quanta.api.search`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Embedder", "load_embedder"]

log = logging.getLogger(__name__)

_LOADED: dict[str, Embedder | None] = {}
_LOCK = threading.Lock()


class Embedder:
    """Texts to unit-length vectors with a bundled WordLlama model.

    Args:
        model: a loaded ``wordllama`` inference object (``WordLlama.load(...)``).
        name: the model's name (for ``/api/v1`` metadata and logs).
    """

    def __init__(self, model: Any, name: str) -> None:
        self._model = model
        self.name = name
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised ``float32`` row per text (shape ``(len(texts), dimensions)``)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:  # the tokenizer is not documented as thread-safe
            vectors = self._model.embed(list(texts), norm=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @property
    def dimensions(self) -> int:
        """Length of each vector."""
        return int(self._model.embedding.shape[1])


def load_embedder(enabled: bool = True) -> Embedder | None:
    """Load the bundled embedding model once per process, or return ``None`` when it is not available.

    Args:
        enabled: ``False`` (the setting ``semantic``) skips loading and returns ``None``.

    Returns:
        The embedder, or ``None`` when disabled, when ``wordllama`` is not installed, or when its wheel
        does not hold the model (a later release that stopped bundling it): search is then full-text.
    """
    if not enabled:
        return None
    with _LOCK:
        if "default" not in _LOADED:
            _LOADED["default"] = _load()
        return _LOADED["default"]


def _load() -> Embedder | None:
    # wordllama calls logging.basicConfig(level=INFO) when imported, which would turn on INFO logging for
    # the whole process (every HTTP request of httpx, ...); a handler on the root logger makes it a no-op.
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        log.info("semantic search is off: install the extra `quanta[semantic]` (wordllama) to turn it on")
        return None
    finally:
        root.removeHandler(guard)
    # WordLlama looks for bundled files under <package>/tokenizer/ (singular) but ships them in
    # <package>/tokenizers/; its cache layout (<cache>/weights, <cache>/tokenizers) matches the package
    # folder, so the package folder is given as the cache and downloads are disabled.
    package = Path(wordllama.__file__).parent
    try:
        model = WordLlama.load(config="l2_supercat", dim=256, cache_dir=package, disable_download=True)
    except (OSError, ValueError) as error:
        log.warning("semantic search is off: the wordllama package holds no usable model (%s)", error)
        return None
    return Embedder(model, "wordllama/l2_supercat-256")
