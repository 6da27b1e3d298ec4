# Developer entry points; CI (.ci/run) runs `make lint` and `make test` too.
# Pass extra pytest arguments with ARGS, e.g. `make test ARGS='-m "not postgres" -x'`.

export UV_PYTHON_DOWNLOADS := never

UV_VERSION := 0.13.8
# `python3 -m uv` still works when pip puts the uv script somewhere outside PATH.
UV := $(if $(shell command -v uv 2>/dev/null),uv,python3 -m uv)
CODE := src tests bench

.PHONY: setup run test lint bench format clean

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet 'uv==$(UV_VERSION)'
	$(UV) sync --frozen

run: setup
	$(UV) run trueport demo

test: setup
	$(UV) run pytest $(ARGS)

lint: setup
	$(UV) run ruff check $(CODE)
	$(UV) run ruff format --check $(CODE)
	$(UV) run mypy

bench: setup
	$(UV) run python bench/run.py

format: setup
	$(UV) run ruff check --fix $(CODE)
	$(UV) run ruff format $(CODE)

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache dist
	find . -path ./.venv -prune -o -type d -name __pycache__ -exec rm -rf {} +
