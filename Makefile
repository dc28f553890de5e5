# docqa: `make chat` sets everything up and opens the chat; `make test` runs the test suite.
VENV ?= .venv
PY := $(VENV)/bin/python
DOCQA := $(VENV)/bin/docqa

.PHONY: install chat ingest test lint eval eval-check fit bench load clean

install: $(VENV)/.installed

# torch first, pinned to the CPU build (a plain `torch` would pull a multi-GB CUDA build)
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,llm]'
	touch $@

ingest: install  ## index corpus/ (incremental: unchanged files are skipped)
	$(DOCQA) ingest

chat: ingest  ## open the web chat on http://127.0.0.1:8501
	$(DOCQA) web

test: install  ## the whole suite, slow/browser/server tests included
	$(VENV)/bin/pytest

eval: ingest  ## quality on the dev and held-out sets, side by side (writes eval/runs/<time>/)
	$(DOCQA) eval

eval-check: ingest  ## dev eval, failing if a metric dropped below eval/baseline.json
	$(DOCQA) eval eval/data/qa-dev.jsonl --check-baseline

fit: ingest  ## refit the sentence selector and the lead model by cross-validation (docqa/selector.json, docqa/lead.json; never reads the held-out sets)
	$(PY) -m eval.fit
	$(PY) -m eval.fit_lead

bench: ingest  ## speed figures (see BENCHMARKS.md)
	$(PY) -m eval.bench --scale 10,100 --http 30

load: install  ## HTTP load: 20 and 50 clients on /ask and /search while documents are uploaded and deleted, 1 and 2 workers
	$(PY) -m eval.load --clients 20,50 --seconds 30 --workers 1,2

lint: install
	$(VENV)/bin/ruff check docqa ingest app eval tests
	$(VENV)/bin/ruff format --check docqa ingest app eval tests

clean:
	rm -rf data .pytest_cache
