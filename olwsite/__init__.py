"""olwsite: a curriculum-site generator for MkDocs + Material."""

__version__ = "0.1.0"
