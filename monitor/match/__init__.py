"""match: rules over tracked entities and keywords, each match saying why.

See ``docs/rules.md`` for the query language.
"""

from monitor.match.compiler import compile_rules, validate_rules
from monitor.match.explain import format_match, match_to_json
from monitor.match.matcher import Matcher

__all__ = ["Matcher", "compile_rules", "format_match", "match_to_json", "validate_rules"]
