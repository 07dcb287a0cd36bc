# Shortcuts; README.md gives the plain commands.
.PHONY: test soak lint bench
test:
	python -m pytest -q
soak:  # the long reliability suite: soak, crash loops (SOAK_SECONDS=600 for longer)
	python -m pytest -q -s -m slow
	CRASH_KILLS=20 CRASH_HEADLINES=3000 python -m pytest -q -s tests/test_crash.py
lint:
	ruff check monitor tests bench && ruff format --check monitor && mypy
bench:
	python bench/ingest.py
