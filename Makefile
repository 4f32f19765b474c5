# The two commands of the README. Both build .venv first when it is missing or stale.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
OUT     ?= out
PROFILE ?= fast
# Tests and the lessons' kernels: quiet TF C++ logs, the fast profile, no downloads.
TEST_ENV := TF_CPP_MIN_LOG_LEVEL=1 TLKIT_PROFILE=fast TLKIT_OFFLINE=1 TLKIT_CHECK_STRICT=1

.PHONY: lessons test env assign assign-check bench clean colab-check colab-runtime

$(STAMP): requirements/base.txt requirements/test.txt pyproject.toml scripts/setup-env.sh
	bash scripts/setup-system.sh
	bash scripts/setup-env.sh

env: $(STAMP)

## Run every lesson end to end (offline, embedded defaults) into $(OUT)/ and print a summary.
lessons: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=1 TLKIT_OFFLINE=$${TLKIT_OFFLINE-1} TLKIT_PROFILE=$(PROFILE) \
	  $(VENV)/bin/tlkit lessons --out $(OUT)

## The whole test suite: the import contracts (.importlinter: the grader's layers, no cycles),
## library tests, grader tests, every lesson and solution under nbval.
test: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache
	$(TEST_ENV) $(PY) -m pytest tests notebooks solutions --nbval-lax --nbval-current-env \
	  -p no:cacheprovider --durations=15 $(PYTEST_ARGS)

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

## The framework-free tests on Colab's Python 3.13 and Colab's versions of the light packages
## (numpy 2.1.3, pandas 2.2.3 ... read from tests/fixtures/colab), in $(COLAB_VENV). Skips with a
## reason when no Python 3.13 is found (set PYTHON313). tests/test_environment.py keeps the list
## complete: a test file that needs no framework and no nbclient belongs here.
COLAB_VENV ?= .venv-colab
COLAB_TESTS := tests/test_config.py tests/test_course.py tests/test_data_download.py \
	tests/test_data_embedded.py tests/test_data_images.py tests/test_data_real.py \
	tests/test_data_sources.py tests/test_online_failure.py \
	tests/test_environment.py tests/test_files.py tests/test_grading_assign.py \
	tests/test_grading_check.py tests/test_notebook_hygiene.py tests/test_publish.py \
	tests/test_viz.py
colab-check:
	COLAB_VENV=$(COLAB_VENV) bash scripts/colab-check.sh $(COLAB_TESTS)

## Every lesson and solution (fast profile) and the framework tests on a CPU replica of Colab's
## runtime: Python 3.13 with Colab's exact TensorFlow, Keras, torch, ipykernel ... (read from
## tests/fixtures/colab), tlkit installed as the setup cell does. Builds $(COLAB_RUNTIME_VENV) once
## (about 6 GB: PyPI's torch is the CUDA build) and keeps it while its stamp holds. Skips with a
## reason when no Python 3.13 is found or the registry does not answer for a build.
COLAB_RUNTIME_VENV ?= .venv-colab-runtime
COLAB_RUNTIME_TESTS := notebooks solutions tests/test_keras_efficientnet.py \
	tests/test_keras_helpers.py tests/test_torch_datasets.py tests/test_torch_freezing.py \
	tests/test_torch_models.py tests/test_torch_scratch.py tests/test_torch_train.py
colab-runtime:
	COLAB_RUNTIME_VENV=$(COLAB_RUNTIME_VENV) bash scripts/colab-runtime.sh $(COLAB_RUNTIME_TESTS)
