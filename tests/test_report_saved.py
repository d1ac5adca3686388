"""What a saved notebook keeps: the prediction against what ran, the warnings, no clear PII."""

from __future__ import annotations

from typing import Any

import pytest

from neurolake_lab.report import report_bundle, report_html, report_text
from neurolake_lab.session import Session

EMAILS = "SELECT customer_id, email, upper(full_name) AS shout, country FROM retail.customers"


def test_owner_pii_is_withheld_from_what_is_saved_but_not_from_the_result(
    retail: Session, report_validator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEUROLAKE_SAVE_CLEAR_PII", raising=False)
    result = retail.sql(EMAILS + " ORDER BY customer_id LIMIT 5")
    report = result.report
    report_validator.validate(report)
    withheld = {w["column"]: w["source"] for w in report["result"]["withheld"]}
    assert withheld == {"email": "retail.customers.email", "shout": "retail.customers.full_name"}
    first = result.arrow().to_pylist()[0]
    assert "@" in first["email"]  # the result itself keeps every value
    bundle = report_bundle(report)
    for text in (str(report["result"]["rows_preview"]), bundle["text/html"], bundle["text/plain"]):
        assert first["email"] not in text and first["shout"] not in text
        assert "[withheld]" in text
    # the fallbacks carry the live view's warnings: PII in clear for the owner, and what was kept
    html, plain = report_html(report), report_text(report)
    for text in (html, plain):
        assert "personal data shown in clear" in text and "not saved in clear" in text
        assert "predicted" in text


def test_the_owner_can_choose_to_save_clear_values(
    retail: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROLAKE_SAVE_CLEAR_PII", "1")
    result = retail.sql(EMAILS + " ORDER BY customer_id LIMIT 2")
    assert "withheld" not in result.report["result"]
    assert result.arrow().to_pylist()[0]["email"] in report_text(result.report)


def test_a_reader_who_sees_masked_values_has_nothing_withheld(retail_root: Any) -> None:
    import neurolake_lab

    with neurolake_lab.connect(retail_root, user="bob") as bob:
        report = bob.sql(EMAILS + " LIMIT 2").report
    assert "withheld" not in report["result"]
    assert report["compliance"]["masked"] and "masked by policy" in report_text(report)


def test_predicted_against_actual_and_the_flag_in_report_and_fallbacks(
    retail: Session, report_validator: Any
) -> None:
    result = retail.sql("SELECT status, count(*) AS n FROM retail.orders GROUP BY status")
    report = result.report
    report_validator.validate(report)
    cost = report["cost"]
    assert cost["predicted_ms"] > 0 and cost["actual_ms"] > 0
    assert cost["actual_rows"] == len(result) and cost["estimated_rows"] >= 1
    assert cost["interval_ms"]["low"] < cost["predicted_ms"] < cost["interval_ms"]["high"]
    ratio = max(cost["actual_ms"], cost["predicted_ms"]) / min(
        cost["actual_ms"], cost["predicted_ms"]
    )
    assert (cost["misprediction"] is not None) == (ratio > 5)
    # a flagged report says so in every fallback
    flagged = {**report, "cost": {**cost, "predicted_ms": cost["actual_ms"] / 40,
                                  "misprediction": {"ratio": 40.0, "direction": "slower",
                                                    "factor": 5.0}}}  # fmt: skip
    report_validator.validate(flagged)
    assert "⚠ 40x slower than predicted" in report_text(flagged)
    assert "40x slower than predicted" in report_html(flagged)
