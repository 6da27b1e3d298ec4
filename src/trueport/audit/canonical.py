"""Canonical JSON (RFC 8785) for the audit trail: ``trueport.canonical``, re-exported here.

The implementation lives outside ``trueport.audit`` so that code which must not import the audit
package (whose ``__init__`` brings pydantic), such as the edge client's manifest checks, can use it.
"""

from trueport.canonical import (
    MAX_SAFE_INTEGER,
    CanonicalJSONError,
    canonical_json,
    format_number,
    is_canonical,
)

__all__ = ["MAX_SAFE_INTEGER", "CanonicalJSONError", "canonical_json", "format_number", "is_canonical"]
