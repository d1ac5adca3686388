"""The local embedding (deterministic, no download) and the endpoint's, through the real client."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from neurolake_lab.exceptions import LLMAuthError, LLMOutputError, LLMUnavailableError
from neurolake_lab.llm import Embedder, LocalEmbedder, OpenAIEmbedder
from neurolake_lab.llm.embeddings import features
from tests.support.fake_openai import FakeOpenAI, HTTPError, Malformed, fake_vector


def unit_rows(v: np.ndarray) -> bool:
    return bool(np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5))


def test_local_shape_dtype_normalisation() -> None:
    e = LocalEmbedder()
    assert isinstance(e, Embedder)
    v = e.embed(["orders per month", "customer email address", "x"])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert unit_rows(v[:2])
    assert not v[2].any()  # nothing but a single letter: no words, a zero row
    assert e.embed([]).shape == (0, 384)
    assert LocalEmbedder(dim=256).embed(["a b c d"]).shape == (1, 256)


def test_local_is_deterministic_across_processes() -> None:
    texts = ["Total revenue by product category", "customer_id"]
    here = LocalEmbedder().embed(texts)
    assert np.array_equal(here, LocalEmbedder().embed(texts))
    code = (
        "import sys, numpy as np; from neurolake_lab.llm import LocalEmbedder;"
        f"sys.stdout.buffer.write(LocalEmbedder().embed({texts!r}).tobytes())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    # Python's hash() is salted per process; the embedding must not depend on it
    assert np.array_equal(np.frombuffer(out, dtype=np.float32).reshape(here.shape), here)


def cosine(e: Embedder, a: str, b: str) -> float:
    v = e.embed([a, b])
    return float(v[0] @ v[1])


@pytest.mark.parametrize(
    ("query", "near", "far"),
    [
        # inflection and identifier forms
        ("customers", "customer_id", "warehouse stock level"),
        ("number of orders per month", "orders.order_month", "employee salary"),
        ("CustomerEmail", "customer email address", "shipment weight"),
        ("shipped parcels", "parcel shipping date", "account balance"),
        # synonym concepts
        ("total revenue by region", "sales amount per territory", "patient blood pressure"),
        ("which clients bought the most", "top buyers", "flight departure gate"),
        ("qty sold", "quantity of units sold", "hotel room rate"),
        # character overlap of word parts
        ("cust segment", "customer segmentation tier", "invoice due date"),
    ],
)
def test_similar_texts_score_higher_than_unrelated(query: str, near: str, far: str) -> None:
    e = LocalEmbedder()
    assert cosine(e, query, near) > cosine(e, query, far) + 0.15


def test_identical_meaning_outranks_partial_overlap() -> None:
    e = LocalEmbedder()
    columns = ["orders.order_date", "customers.birth_date", "orders.ship_date", "products.name"]
    scores = e.embed(["when was the order placed, order date"]) @ e.embed(columns).T
    assert columns[int(np.argmax(scores))] == "orders.order_date"


def test_features_are_inspectable() -> None:
    f = features("Customers' orders")
    assert {"w:customer", "w:order", "c:customer", "c:order", "b:customer order"} <= set(f)
    assert any(k.startswith("g:") for k in f)


def test_a_string_is_not_a_list_of_texts() -> None:
    with pytest.raises(TypeError, match="list of texts"):
        LocalEmbedder().embed("customers")


# -- the endpoint's embeddings ----------------------------------------------------------------


def remote(server: FakeOpenAI, **kwargs: object) -> OpenAIEmbedder:
    options: dict[str, object] = {"api_key": "sk-embedkey-123456789", "model": "embed-small"}
    options.update(kwargs)
    return OpenAIEmbedder(base_url=server.base_url, backoff=0.01, **options)  # type: ignore[arg-type]


def test_openai_embedder_against_the_server(fake_openai: FakeOpenAI) -> None:
    e = remote(fake_openai, batch_size=2)
    texts = ["customers", "", "orders", "order lines", "  "]
    v = e.embed(texts)
    assert v.shape == (5, 16) and v.dtype == np.float32 and e.dim == 16
    # vectors come back in order, normalised (the fake's are not), blank texts zero and unsent
    for row, text in ((0, "customers"), (2, "orders"), (3, "order lines")):
        expected = np.array(fake_vector(text, 16), dtype=np.float32)
        assert np.allclose(v[row], expected / np.linalg.norm(expected), atol=1e-6)
    assert not v[1].any() and not v[4].any()
    requests = fake_openai.embedding_requests
    assert [r.body["input"] for r in requests] == [["customers", "orders"], ["order lines"]]
    assert all(r.body["model"] == "embed-small" for r in requests)
    assert all(r.body["encoding_format"] == "float" for r in requests)
    assert requests[0].authorization == "Bearer sk-embedkey-123456789"
    assert fake_openai.chat_requests == []


def test_dim_is_probed_once_when_asked_first(fake_openai: FakeOpenAI) -> None:
    e = remote(fake_openai)
    assert e.dim == 16 and e.dim == 16
    assert len(fake_openai.embedding_requests) == 1
    assert remote(fake_openai, dimensions=16).name == "openai:embed-small:16"


def test_openai_embedder_retries_and_maps_errors() -> None:
    with FakeOpenAI(embedding_script=[HTTPError(500, "busy"), "ok"]) as server:
        assert remote(server).embed(["a table"]).shape == (1, 16)
        assert len(server.embedding_requests) == 2
    with (
        FakeOpenAI(embedding_script=[HTTPError(401, "bad key")]) as server,
        pytest.raises(LLMAuthError, match="OPENAI_API_KEY"),
    ):
        remote(server).embed(["a table"])
    with (
        FakeOpenAI(embedding_script=[HTTPError(503, "down")] * 2) as server,
        pytest.raises(LLMUnavailableError, match=r"embeddings request with HTTP 503"),
    ):
        remote(server, max_retries=1).embed(["a table"])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"object": "list", "data": []}', "returned 0 vectors for 2 texts"),
        (
            '{"data": [{"index": 0, "embedding": [1, 2]}, {"index": 1, "embedding": [1]}]}',
            "not lists of numbers",
        ),
        ('{"data": [{"index": 0, "embedding": []}, {"index": 1, "embedding": []}]}', "zero length"),
        ('{"data": ', "not valid JSON"),
    ],
)
def test_openai_embedder_malformed_output(body: str, expected: str) -> None:
    with (
        FakeOpenAI(embedding_script=[Malformed(body)]) as server,
        pytest.raises(LLMOutputError, match=expected),
    ):
        remote(server).embed(["customers", "orders"])


def test_a_changed_vector_length_is_an_error() -> None:
    lengths = iter([8, 8, 12])
    with FakeOpenAI(embed=lambda text: [1.0] * next(lengths)) as server:
        e = remote(server)
        e.embed(["a", "b"])
        with pytest.raises(LLMOutputError, match="length 12, earlier ones had 8"):
            e.embed(["c"])
