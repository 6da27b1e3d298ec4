"""Feature flags: the known flags declared once (``registry``), rules with targeting and stable
percentage rollouts (``rules``), the in-memory accessor of the hot path (``evaluator.Flags``) and the
gateway's read of the stored rules (``store``). See docs/flags.md."""
