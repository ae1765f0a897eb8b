"""docs/asyncapi.yaml: an AsyncAPI 3 document that says what shared/events.py says, kept up to date."""
from __future__ import annotations

import re
import subprocess
import sys

import yaml

from shared import asyncapi
from shared.events import CATALOGUE, STREAMS, Envelope


def _doc() -> dict:
    return yaml.safe_load(asyncapi.DEFAULT_PATH.read_text(encoding="utf-8"))


def _resolve(doc: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        assert part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_committed_document_is_up_to_date():
    assert asyncapi.is_current(), (
        "docs/asyncapi.yaml ne correspond plus à shared/events.py : lancez `rdv asyncapi` et committez le fichier")


def test_every_event_of_the_catalogue_is_a_channel_with_its_typed_payload():
    doc = _doc()
    assert doc["asyncapi"] == "3.0.0" and doc["info"]["title"] and doc["info"]["version"]
    addresses = {ch["address"]: cid for cid, ch in doc["channels"].items()}
    assert set(CATALOGUE) <= set(addresses)
    for subject, model in CATALOGUE.items():
        cid = addresses[subject]
        assert re.fullmatch(r"[A-Za-z0-9_\-]+", cid)
        message = _resolve(doc, doc["channels"][cid]["messages"][cid]["$ref"])
        assert message["name"] == subject
        assert "Nats-Msg-Id" in message["headers"]["required"]
        assert "traceparent" in message["headers"]["properties"]
        envelope_ref, typed = message["payload"]["allOf"]
        assert typed["properties"]["type"] == {"const": subject}
        data_schema = _resolve(doc, typed["properties"]["data"]["$ref"])
        assert set(data_schema["properties"]) == set(model.model_fields)
        assert set(data_schema.get("required", [])) == {n for n, f in model.model_fields.items() if f.is_required()}
        stream = next(s for s, p in STREAMS.items() if subject.startswith(p[:-1]))
        assert f"`{stream}`" in doc["channels"][cid]["description"]
    envelope = doc["components"]["schemas"]["Envelope"]
    assert set(envelope["properties"]) == set(Envelope.model_fields) - {"traceparent"}  # a header, not the body


def test_every_reference_resolves_and_every_event_is_published_by_one_operation():
    doc = _doc()
    for ref in _refs(doc):
        _resolve(doc, ref)
    sent = [op for op in doc["operations"].values() if op["action"] == "send"]
    published = {_resolve(doc, op["channel"]["$ref"])["address"] for op in sent}
    assert published == set(CATALOGUE)
    assert all(op["action"] in ("send", "receive") for op in doc["operations"].values())
    assert any(ch["address"] == "deadletter.{consumer}" for ch in doc["channels"].values())


def test_rdv_asyncapi_writes_the_document_and_check_fails_when_stale(tmp_path):
    target = tmp_path / "asyncapi.yaml"
    target.write_text("asyncapi: 3.0.0\n")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "rdv.cli", "asyncapi", "--output", str(target), *args],
                              capture_output=True, text=True)

    stale = run("--check")
    assert stale.returncode == 1 and "rdv asyncapi" in stale.stderr
    assert run().returncode == 0
    assert run("--check").returncode == 0
    assert target.read_text(encoding="utf-8") == asyncapi.render()
