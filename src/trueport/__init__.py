"""TruePort: a defensible AI gateway."""

__version__ = "0.1.0"
