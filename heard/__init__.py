"""The composition root: the `heard` command, which wires `api`, `bot` and `flows` together.

`api` and `bot` never import each other; only this package imports both.
"""
