"""Figures a reader of the console wants to see whether the scenario passes or fails."""

import sys


def say(text: str):
    """Print past behave's output capture, on a line of its own."""
    print(f"\n    {text}", file=sys.__stdout__, flush=True)
