"""match: rules over tracked entities and keywords, each match saying why."""
