"""Property-based run of schemathesis against the generated OpenAPI schema: no 5xx, ever.

The app runs on pytest-django's live server (a real HTTP server on loopback, the test database
behind it); schemathesis is driven through its CLI, as a client would be.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from perfmgmt.services import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)


def acme_schema(path: Path) -> Path:
    """The API's schema with the organisation fixed to Acme, so requests reach real data."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = {}
    for route, operations in schema["paths"].items():
        if "{org_slug}" not in route:
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"] if p.get("name") != "org_slug"
                ]
        paths[route.replace("{org_slug}", "acme")] = operations
    schema["paths"] = paths
    path.write_text(json.dumps(schema))
    return path


def test_schemathesis_finds_no_server_error(acme, acme_cascade, live_server, tmp_path):  # noqa: ANN001
    _, secret = api_key_create(org=acme.org, actor=acme.admin, name="fuzz", scope="read_write")
    schema = acme_schema(tmp_path / "schema.json")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            str(schema),
            "--url",
            live_server.url,
            "--header",
            f"Authorization: Bearer {secret}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "10",
            "--seed",
            "2026",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-database",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # schemathesis keeps a cache under ./.schemathesis: not in the work tree
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Server error" not in output
    assert " passed" in output  # it really generated and sent requests
