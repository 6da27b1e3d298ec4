# Developer entry points; CI (.ci/run) runs `make lint` and `make test` too.
# Pass extra pytest arguments with ARGS, e.g. `make test ARGS='-m "not postgres" -x'`.

export UV_PYTHON_DOWNLOADS := never

UV_VERSION := 0.13.8
# `python3 -m uv` still works when pip puts the uv script somewhere outside PATH.
UV := $(if $(shell command -v uv 2>/dev/null),uv,python3 -m uv)
CODE := src tests bench

# The web console (console/, Angular): `make setup` builds it into src/trueport/console/dist with the
# locked npm dependencies when Node.js and npm are here, and again only when its sources, its lock or
# the API (whose OpenAPI schema its types are generated from) changed. Angular 21 needs Node.js
# ^20.19, ^22.12 or >= 24.
CONSOLE_DIST := src/trueport/console/dist/index.html
CONSOLE_INPUTS := console/package.json console/angular.json console/tsconfig.json console/tsconfig.app.json \
	$(shell find console/src console/scripts console/public -type f ! -path 'console/src/app/api/*' 2>/dev/null) \
	$(shell find src/trueport/platform src/trueport/console -name '*.py' 2>/dev/null)
NODE_OK := node -e 'const [a, b] = process.versions.node.split(".").map(Number); \
	process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a >= 24 ? 0 : 1)'
NO_CONSOLE := the web console is not built (/console will say so): install Node.js 20.19+ (or 22.12+) \
	and npm, then run make setup again

.PHONY: setup console run test lint bench format clean

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet 'uv==$(UV_VERSION)'
	$(UV) sync --frozen
	@if command -v npm >/dev/null 2>&1 && $(NODE_OK) 2>/dev/null; then \
		$(MAKE) --no-print-directory console; \
	else \
		echo "warning: $(NO_CONSOLE) (found: node $$(node --version 2>/dev/null || echo none))" >&2; \
		[ "$$CI" != true ]; \
	fi

console: $(CONSOLE_DIST)

console/node_modules/.package-lock.json: console/package-lock.json
	cd console && npm ci --no-audit --no-fund

$(CONSOLE_DIST): console/node_modules/.package-lock.json $(CONSOLE_INPUTS)
	cd console && npm run build

run: setup
	$(UV) run trueport demo

test: setup
	$(UV) run pytest --durations=40 $(ARGS)
	@if [ -d console/node_modules ]; then \
		cd console && npm test; \
	else \
		echo "warning: the console's unit tests did not run: $(NO_CONSOLE)" >&2; \
		[ "$$CI" != true ]; \
	fi

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
