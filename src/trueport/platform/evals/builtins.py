"""Built-in guard suites: the project's own held-out detector data (``eval/``), read-only.

Each labelled item becomes a case expecting its detector to act (``detected``: flagged or blocked)
when the label is 1, and to stay ``clean`` when it is 0. They run under the tenant's own policy, like
its suites: a tenant that turns a detector off sees its built-in suite fail, which is the point.
Built-ins exist only where the repository's ``eval/`` directory is present (a source checkout or an
image that copies it); elsewhere none are listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import trueport
from trueport.db.models import EvalSuite
from trueport.guard.evaluation import load_labelled
from trueport.platform.evals.schemas import BUILTIN_PREFIX

EVAL_DIR = Path(trueport.__file__).resolve().parents[2] / "eval"


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    detector: str
    data: str  # relative to eval/
    description: str


BUILTINS = (
    Builtin("bias-heldout", "bias", "bias/heldout.jsonl", "The bias detector's held-out set (eval/bias)."),
    Builtin(
        "secrets-heldout",
        "secrets",
        "secrets/heldout.jsonl",
        "The secrets detector's held-out set (eval/secrets).",
    ),
)


def builtin_ids() -> list[str]:
    return [BUILTIN_PREFIX + b.name for b in BUILTINS if (EVAL_DIR / b.data).is_file()]


@cache
def builtin_suite(suite_id: str) -> EvalSuite | None:
    """The built-in suite of that id (a transient row, never added to a session), or None."""
    for builtin in BUILTINS:
        path = EVAL_DIR / builtin.data
        if BUILTIN_PREFIX + builtin.name != suite_id or not path.is_file():
            continue
        items = load_labelled(path)
        cases: list[dict[str, object]] = [
            {
                "text": item.text,
                "expect": {builtin.detector: "detected" if item.label else "clean"},
                "note": "",
            }
            for item in items
        ]
        return EvalSuite(
            id=suite_id,
            tenant_id="",
            name=suite_id,
            kind="guard",
            description=builtin.description,
            cases=cases,
            created_at=None,
            updated_at=None,
        )
    return None
