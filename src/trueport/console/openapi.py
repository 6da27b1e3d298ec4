"""Print the control plane's OpenAPI schema: ``python -m trueport.console.openapi > openapi.json``.

The console's build generates its API types from this output (``console/scripts/generate-api.mjs``),
so a route or schema that changes in a way the console does not follow breaks the console's build.
The schema is what ``GET /api/v1/openapi.json`` serves; it does not depend on the installation, so
no database or settings are needed to produce it.
"""

from __future__ import annotations

import sys
from typing import cast

from trueport.jsonutil import dumps
from trueport.platform.api import create_api
from trueport.platform.context import Platform


def openapi_schema() -> dict[str, object]:
    api = create_api(cast(Platform, None))  # only handlers read the platform; the schema never does
    return api.openapi()


def main() -> None:
    sys.stdout.buffer.write(dumps(openapi_schema()) + b"\n")


if __name__ == "__main__":
    main()
