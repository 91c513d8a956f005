"""The Grizz AI Engine, reference implementation of docs/contract.md."""

__version__ = "0.1.0"
