"""Text embeddings for the metadata index: a local one that needs nothing, or an endpoint's.

:class:`LocalEmbedder` is the default: deterministic, no model download, instant. It hashes
features of the text into a fixed-length vector (the "hashing trick"): word stems, synonym
concepts, word pairs and character trigrams, so "customers" meets ``customer_id`` and "revenue"
meets ``sales``. It knows no meaning beyond that; :class:`OpenAIEmbedder` uses a real embedding
model on an OpenAI-compatible endpoint when ``NEUROLAKE_EMBEDDINGS_MODEL`` is set.

Both return float32 rows of unit length, so a dot product is the cosine similarity. A blank
text gets a zero row (similar to nothing).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from neurolake_lab.exceptions import LLMOutputError
from neurolake_lab.llm import lexicon
from neurolake_lab.llm.endpoint import Endpoint

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors; ``name`` changes whenever the vectors would."""

    @property
    def name(self) -> str:
        """Identifies the embedding (model and version): vectors of different names don't mix."""
        ...

    @property
    def dim(self) -> int:
        """Length of each vector."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text, shape ``[len(texts), dim]``."""
        ...


def normalise(rows: npt.NDArray[np.floating]) -> Vectors:
    """``rows`` scaled to unit length (zero rows stay zero), as float32."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    out: Vectors = np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)
    return out


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("embed() takes a list of texts, not one string")
    return [str(t) for t in texts]


class LocalEmbedder:
    """A deterministic hashed bag of text features; no model, no download, no network.

    Features and weights (each hashed to a dimension with a sign, so collisions cancel out on
    average rather than pile up):

    * the stem of each word (1.0): ``customers`` and ``customer`` are one feature;
    * its synonym concept (1.0): ``revenue``, ``sales`` and ``turnover`` share one;
    * each pair of neighbouring stems (0.5): ``order date`` is not ``birth date``;
    * character trigrams of each word (0.6 in all per word): near spellings and word parts
      (``cust``/``customer``) still overlap.

    Args:
        dim: Vector length.

    Example:
        >>> e = LocalEmbedder()
        >>> v = e.embed(["customers per country", "customer_country", "average unit price"])
        >>> bool(v[0] @ v[1] > v[0] @ v[2])
        True
    """

    def __init__(self, dim: int = 384) -> None:
        if dim < 16:
            raise ValueError(f"embedding dimension must be at least 16, not {dim}")
        self.dim = dim
        self.name = f"local-hash-v{lexicon.VERSION}-{dim}"

    def __repr__(self) -> str:
        return f"LocalEmbedder(dim={self.dim})"

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit row per text (a zero row for a text with no words)."""
        items = _check_texts(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for row, text in enumerate(items):
            for feature, weight in features(text).items():
                index, sign = _slot(feature, self.dim)
                out[row, index] += sign * weight
        return normalise(out)


def features(text: str) -> dict[str, float]:
    """The weighted features :class:`LocalEmbedder` hashes, by name (for inspection and tests)."""
    weights: dict[str, float] = {}

    def add(feature: str, weight: float) -> None:
        weights[feature] = weights.get(feature, 0.0) + weight

    stems = []
    for word in lexicon.words(text):
        s = lexicon.stem(word)
        stems.append(s)
        add(f"w:{s}", 1.0 if not word.isdigit() else 0.3)
        group = lexicon.concept(word)
        if group is not None:
            add(f"c:{group}", 1.0)
        padded = f"<{word}>"
        grams = [padded[i : i + 3] for i in range(len(padded) - 2)]
        for gram in grams:
            add(f"g:{gram}", 0.6 / len(grams) ** 0.5)
    for first, second in itertools.pairwise(stems):
        add(f"b:{first} {second}", 0.5)
    return weights


@lru_cache(maxsize=1 << 16)
def _slot(feature: str, dim: int) -> tuple[int, float]:
    """Dimension and sign of a feature, from a stable hash.

    Not Python's ``hash``: it is salted per process, so the vectors would change between runs.
    """
    value = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return value % dim, (1.0 if (value >> 63) & 1 else -1.0)


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint.

    Args:
        base_url: The API root; None: OpenAI's API.
        api_key: The key; None for local servers that need none.
        model: The embeddings model, e.g. ``"text-embedding-3-small"``.
        timeout: Seconds to wait for one request.
        max_retries: Retries on 429, 5xx and connection errors.
        batch_size: Texts per request.
        dimensions: Ask for vectors this long (models that support it); None: the model's own.
        backoff: First back-off delay in seconds.

    The vector length is learnt from the first answer; reading :attr:`dim` before any call asks
    the endpoint once with a short probe text.
    """

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str,
        timeout: float = 30.0,
        max_retries: int = 2,
        batch_size: int = 256,
        dimensions: int | None = None,
        backoff: float = 0.5,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.model = model
        self.batch_size = batch_size
        self.dimensions = dimensions
        self.endpoint = Endpoint(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
        )
        self._dim: int | None = dimensions

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(model={self.model!r}, endpoint={self.endpoint!r})"

    @property
    def name(self) -> str:
        """``openai:<model>`` (with ``:<dimensions>`` when a length was asked for)."""
        suffix = f":{self.dimensions}" if self.dimensions else ""
        return f"openai:{self.model}{suffix}"

    @property
    def dim(self) -> int:
        """The vector length (asks the endpoint once if no call has told it yet)."""
        if self._dim is None:
            self._request(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.endpoint.close()

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit row per text, in order; blank texts get zero rows without a request.

        Raises:
            LLMUnavailableError: The endpoint cannot be reached or keeps failing.
            LLMAuthError: The endpoint refused the key.
            LLMTimeoutError: No answer within the timeout.
            LLMOutputError: The answer is not one vector per text, all of one length.
        """
        items = _check_texts(texts)
        wanted = [i for i, t in enumerate(items) if t.strip()]
        rows: dict[int, Vectors] = {}
        for start in range(0, len(wanted), self.batch_size):
            batch = wanted[start : start + self.batch_size]
            vectors = self._request([items[i] for i in batch])
            rows.update(zip(batch, vectors, strict=True))
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for i, vector in rows.items():
            out[i] = vector
        return normalise(out)

    def _request(self, batch: list[str]) -> Vectors:
        from openai import omit

        response, _ = self.endpoint.call(
            lambda client: client.embeddings.create(
                model=self.model,
                input=batch,
                encoding_format="float",
                dimensions=self.dimensions if self.dimensions else omit,
            ),
            what="embeddings",
        )
        where = f"the embeddings endpoint at {self.endpoint.url}"
        data = getattr(response, "data", None)
        if not isinstance(data, list) or len(data) != len(batch):
            got = len(data) if isinstance(data, list) else "no"
            raise LLMOutputError(f"{where} returned {got} vectors for {len(batch)} texts")
        try:
            ordered = sorted(data, key=lambda item: int(item.index))
            matrix = np.array([item.embedding for item in ordered], dtype=np.float32)
        except (AttributeError, TypeError, ValueError) as exc:
            raise LLMOutputError(f"{where} returned vectors that are not lists of numbers") from exc
        if matrix.ndim != 2 or matrix.shape[1] == 0 or not np.isfinite(matrix).all():
            raise LLMOutputError(f"{where} returned vectors of differing or zero length")
        if self._dim is not None and matrix.shape[1] != self._dim:
            raise LLMOutputError(
                f"{where} returned vectors of length {matrix.shape[1]}, earlier ones had "
                f"{self._dim}"
            )
        self._dim = int(matrix.shape[1])
        return normalise(matrix)
