# The two commands of the README. Both build .venv first when it is missing or stale.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
OUT     ?= out
PROFILE ?= fast
# Tests and the lessons' kernels: quiet TF C++ logs, the fast profile, no downloads.
TEST_ENV := TF_CPP_MIN_LOG_LEVEL=1 TLKIT_PROFILE=fast TLKIT_OFFLINE=1 TLKIT_CHECK_STRICT=1

.PHONY: lessons test env assign assign-check bench clean

$(STAMP): requirements/base.txt requirements/test.txt pyproject.toml scripts/setup-env.sh
	bash scripts/setup-system.sh
	bash scripts/setup-env.sh

env: $(STAMP)

## Run every lesson end to end (offline, embedded defaults) into $(OUT)/ and print a summary.
lessons: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=1 TLKIT_OFFLINE=$${TLKIT_OFFLINE-1} TLKIT_PROFILE=$(PROFILE) \
	  $(VENV)/bin/tlkit lessons --out $(OUT)

## The whole test suite: library tests, grader tests, every lesson and solution under nbval.
test: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest tests notebooks solutions --nbval-lax --nbval-current-env \
	  -p no:cacheprovider $(PYTEST_ARGS)

## Rebuild exercises/ from solutions/ (instructors).
assign: $(STAMP)
	$(VENV)/bin/tlkit assign solutions exercises

clean:
	rm -rf $(OUT) .pytest_cache

## Fail when exercises/ is stale (also checked inside `make test`).
assign-check: $(STAMP)
	$(VENV)/bin/tlkit assign --check solutions exercises

## Speed benchmarks (ratios measured in one run; not tests). Installs the baseline's albumentations.
bench: $(STAMP)
	$(PY) -m pip install -q -r requirements/bench.txt
	$(PY) benchmarks/input_pipeline.py
	$(PY) benchmarks/feature_cache.py
	$(PY) benchmarks/grading_throughput.py
