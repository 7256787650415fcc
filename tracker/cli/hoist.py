"""Global options after the command name: ``smm-tracker orders --config x``
means ``smm-tracker --config x orders``."""

from __future__ import annotations

# Options of the group that are also taken after the command name
# (`smm-tracker orders --config x`): moved in front of it before parsing.
GLOBAL_OPTIONS = ("--config", "--log-level", "--log-format")


def hoist_global_options(args: list[str]) -> list[str]:
    """Given the arguments after the program name, return them with the global
    options found after the command moved before it (a later one still wins)."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in GLOBAL_OPTIONS else 1
    if index >= len(args):
        return list(args)
    before, command, rest = args[:index], args[index], args[index + 1 :]
    moved: list[str] = []
    kept: list[str] = []
    position = 0
    while position < len(rest):
        token = rest[position]
        if token == "--":  # everything after it is an argument
            kept.extend(rest[position:])
            break
        if token in GLOBAL_OPTIONS:
            if position + 1 == len(rest):
                raise ValueError(f"Option '{token}' requires an argument.")
            moved.extend(rest[position : position + 2])
            position += 2
            continue
        if token.split("=", 1)[0] in GLOBAL_OPTIONS and "=" in token:
            moved.append(token)
        else:
            kept.append(token)
        position += 1
    return [*before, *moved, command, *kept]
