# LeNet-5 Lab. `make test` and `make demo` set up what they need first: the virtual environment
# (.venv, from requirements*.txt) and MNIST (data/, fetched and checked once per machine).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: test test-fast demo classroom cluster-demo lint format data benchmark fixture screenshots \
	clean-venv

# The whole suite (what CI runs), its time printed at the end. TEST_WORKERS pytest workers (default:
# one a core, at most 4; 1 = no workers): a test file runs whole on one worker, the Ray tests all
# on one (tests/conftest.py). On 2 cores, `.ci/run` with two workers took 0.78-0.87 of the time
# of one process on the tree before issue 26 (benchmarks/README.md, "The test suite's time").
TEST_WORKERS ?= $(shell n=$$(nproc); echo $$(( n > 4 ? 4 : n )))
PARALLEL = $(if $(filter 1,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup)
FAST_WORKERS ?= $(shell nproc)
START := $(shell date +%s)

test: $(STAMP) data lint
	@$(PY) -m pytest $(PARALLEL); status=$$?; \
		echo "make test: $$(( $$(date +%s) - $(START) )) s (lint, data check and pytest)"; \
		exit $$status

# The edit-run loop: lint and the unit tests (no browser, no `slow` training), a worker a core.
test-fast: $(STAMP) data lint
	@$(PY) -m pytest -n $(FAST_WORKERS) --dist loadgroup -m "not slow" --ignore=tests/browser -q; \
		status=$$?; echo "make test-fast: $$(( $$(date +%s) - $(START) )) s"; exit $$status

demo: $(STAMP) data
	$(VENV)/bin/streamlit run demo/serve.py

# One server for a class: every interface, viewer toolbar, no error details, 24 MB uploads, XSRF
# on, and at most LENET_MAX_JOBS runs training at once (default: one per core). WORKERS=N (N > 1):
# N app servers behind haproxy on PORT, sharing the run store and a Ray head with CPUS for
# training (scripts/cluster_demo.py --proxy; README "For teachers" says when it pays).
WORKERS ?= 1
classroom: $(STAMP) data
ifeq ($(WORKERS),1)
	$(VENV)/bin/streamlit run demo/serve.py --server.address 0.0.0.0 --server.port $(PORT) \
		--client.toolbarMode viewer --client.showErrorDetails none \
		--server.maxUploadSize 24 --server.enableXsrfProtection true
else
	$(PY) scripts/cluster_demo.py --proxy --servers $(WORKERS) --cpus $(CPUS) --port $(PORT) \
		--client-port $(CLIENT_PORT)
endif

PORT ?= 8501

# A department's deployment on one machine: a Ray head (CPUS for training) and SERVERS app servers
# from PORT up, sharing the run store ($$LENET_DATABASE_URL: PostgreSQL; else runs/lenet.db) and
# the cluster; Ctrl-C stops all of it. README: "Many students: a Ray cluster".
cluster-demo: $(STAMP) data
	$(PY) scripts/cluster_demo.py --servers $(SERVERS) --cpus $(CPUS) --port $(PORT) \
		--client-port $(CLIENT_PORT)

SERVERS ?= 2
CPUS ?= 2
CLIENT_PORT ?= 10001

# README's screenshots come from the browser tests
screenshots: $(STAMP) data
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/browser -q $(PARALLEL)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# MNIST fetched and verified, then its model input made and kept once (lenet.data.mnist.kept_inputs),
# so that the first processes to train, a test session's servers included, do not all make it at once
data: $(STAMP)
	$(PY) -m lenet.data
	@ls "$${LENET_DATA_DIR:-data}"/MNIST/model-input-*.pt >/dev/null 2>&1 || \
		$(PY) -c "from lenet.data.mnist import load_mnist; load_mnist(fetch=False)"

benchmark: $(STAMP) data
	$(PY) benchmarks/epoch_speed.py
	$(PY) benchmarks/app_speed.py
	$(PY) benchmarks/draw_speed.py
	$(PY) benchmarks/inspect_speed.py
	$(PY) benchmarks/page_speed.py --page train
	$(PY) benchmarks/page_speed.py --page draw
	$(PY) benchmarks/page_speed.py --page inspect
	$(PY) benchmarks/first_batch.py
	$(PY) benchmarks/scribble_check.py

fixture: $(STAMP) data
	$(PY) scripts/make_fixture.py

# requirements-cluster.txt (Ray) too: the tests run training on a local Ray head. An app server
# without LENET_RAY_ADDRESS never imports it; a deployment without a cluster may leave it out.
$(STAMP): requirements.txt requirements-dev.txt requirements-cluster.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt \
		-r requirements-dev.txt -r requirements-cluster.txt
	touch $(STAMP)

clean-venv:
	rm -rf $(VENV)
