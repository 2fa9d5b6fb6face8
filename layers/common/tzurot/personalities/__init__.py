"""Personalities: the model (`model`), queries and name resolution (`repository`), the
shapes.inc import (`importer`, with its validation in `shapes`) and their errors (`errors`).

Nothing is imported here: the interactions Lambda loads `repository` alone for autocomplete.
"""
