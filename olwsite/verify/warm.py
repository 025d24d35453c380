"""Imported by the fork server (see runner._context): load and warm sympy once, there."""

from .runner import warm_up

warm_up()
