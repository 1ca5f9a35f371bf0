"""What the check scripts of tests/ share: PyYAML, or exit 77 (the test is skipped) without
it; failures collected with check(), and printed by finish(), which exits 1 when any."""
import sys

try:
    import yaml  # noqa: F401 (for the scripts that import it from here)
except ImportError:
    print("python3-yaml is not installed")
    sys.exit(77)

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def finish():
    for failure in failures:
        print("FAIL", failure)
    sys.exit(1 if failures else 0)
