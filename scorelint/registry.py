"""The rules scorelint ships, by code or name.

Importing the rules package registers each rule (`Rule.__init_subclass__`);
this module does that import, so the rule contract (`scorelint.rule`) never
imports the rules written against it.
"""

from __future__ import annotations

from scorelint.rule import Rule


def all_rules() -> list[type[Rule]]:
    """Every rule scorelint ships, by code."""
    import scorelint.rules  # noqa: F401  (importing the package registers its rules)

    return [Rule._registry[code] for code in sorted(Rule._registry)]


def find_rule(code: str) -> type[Rule] | None:
    """The rule with this code (any case) or name, if there is one."""
    for rule in all_rules():
        if code.upper() == rule.code or code == rule.name:
            return rule
    return None
