"""Errors about personalities that callers branch on; every message is fit to show as is."""

from __future__ import annotations

from tzurot.errors import TzurotError


class PersonalityError(TzurotError):
    """Base class for personality lookups, aliases and imports."""


class PersonalityNotFound(PersonalityError):
    """No personality has this name, slug or alias; `suggestions` are the closest ones."""

    def __init__(self, text: str, suggestions: list[str] | tuple[str, ...] = ()):
        self.text = text
        self.suggestions = list(suggestions)
        message = f'no personality named "{text}"'
        if self.suggestions:
            message += " (did you mean " + ", ".join(f'"{s}"' for s in self.suggestions) + "?)"
        super().__init__(message)


class AliasError(PersonalityError):
    """An alias cannot be added or removed."""


class InvalidAlias(AliasError):
    """The alias text itself is unusable (empty, too long)."""


class AliasTaken(AliasError):
    """The alias already belongs to a personality (case-insensitively)."""

    def __init__(self, alias: str, owner: str):
        self.alias = alias
        self.owner = owner
        super().__init__(f'alias "{alias}" already exists on personality "{owner}"')


class AliasCollision(AliasError):
    """The alias equals the name or slug of a personality."""

    def __init__(self, alias: str, owner: str):
        self.alias = alias
        self.owner = owner
        super().__init__(f'alias "{alias}" is the name or slug of personality "{owner}"')


class AliasNotFound(AliasError):
    def __init__(self, alias: str):
        self.alias = alias
        super().__init__(f'no personality has the alias "{alias}"')


class ImportFailed(PersonalityError):
    """An import was rejected; nothing was written."""


class ExportInvalid(ImportFailed):
    """A file (or one entry of an array file) is unreadable or fails validation.

    The message names the source and, where there is one, the field:
    `lilith.json: engine_temperature: must be a number between 0 and 2`.
    """

    def __init__(self, source: str, problem: str, field: str | None = None):
        self.source = source
        self.field = field
        self.problem = problem
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {problem}")


class ImportConflict(ExportInvalid):
    """Valid on its own, but clashes with another file of the run or with the database."""


class ImportProblems(ImportFailed):
    """Several problems in one run, every one named (`FILE: FIELD: problem`, one per line)."""

    def __init__(self, problems: list[ExportInvalid]):
        self.problems = list(problems)
        lines = "\n".join(str(problem) for problem in self.problems)
        super().__init__(f"{len(self.problems)} problems, nothing imported:\n{lines}")


def raise_all(problems: list[ExportInvalid]) -> None:
    """Raise the one problem as it is, several together; nothing when there are none."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ImportProblems(problems)
