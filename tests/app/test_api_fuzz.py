"""Property-based fuzzing of the HTTP API from its own OpenAPI schema: no input may cause a server error."""

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from app.api import create_app
from docqa.qa import QA
from docqa.settings import Settings
from ingest.pipeline import ingest

ROOT = Path(tempfile.mkdtemp(prefix="docqa-fuzz-"))
(ROOT / "corpus").mkdir()
(ROOT / "corpus" / "etude.txt").write_text("Environ 5 000 emplois liés à l’IA d’ici 2025 en France.", encoding="utf-8")
QA_ENGINE = QA(Settings(data_dir=ROOT / "data"))
ingest([ROOT / "corpus"], QA_ENGINE.index, QA_ENGINE.settings)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(lambda: QA_ENGINE))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
