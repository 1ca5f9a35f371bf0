#!/usr/bin/env python3
"""Checks that docs/integration.md says what the repository does: its alerts table states
every rule of docs/prometheus/sse-server.rules.yml with the same expression, duration and
severity (and no other), and the links to its sections, from itself and from the README,
lead somewhere, the README linking each of them. Exit 77 (skipped) without python3-yaml."""
import os
import re
import sys

from check_support import check, failures, finish, yaml

root = sys.argv[1]


def read(*path):
    with open(os.path.join(root, *path)) as f:
        return f.read()


def collapsed(text):
    return " ".join(text.split())


def slug(heading):
    """The anchor a Markdown renderer (GitHub's rules) gives a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


guide = read("docs", "integration.md")
readme = read("README.md")

# The alerts table: | `Name` | `expr` | for | severity | meaning |, with \| inside cells.
stated = {}
for line in guide.splitlines():
    if not line.startswith("| `SseServer"):
        continue
    cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
    name = cells[0].strip("`")
    check(name not in stated, f"integration.md: {name} is stated twice")
    stated[name] = {"expr": collapsed(cells[1].strip("`")), "for": cells[2], "severity": cells[3]}

rules = {}
for group in yaml.safe_load(read("docs", "prometheus", "sse-server.rules.yml"))["groups"]:
    for rule in group["rules"]:
        if "alert" in rule:
            rules[rule["alert"]] = rule

check(stated, "integration.md: no alerts table found")
for name, rule in rules.items():
    if name not in stated:
        failures.append(f"integration.md does not state the rule {name}")
        continue
    guide_rule = stated[name]
    check(guide_rule["expr"] == collapsed(rule["expr"]),
          f"{name}: the guide says {guide_rule['expr']!r}, the rules {collapsed(rule['expr'])!r}")
    check(guide_rule["for"] == rule.get("for", "at once"),
          f"{name}: the guide says for {guide_rule['for']}, the rules {rule.get('for', 'at once')}")
    check(guide_rule["severity"] == rule["labels"]["severity"],
          f"{name}: the guide says {guide_rule['severity']}, the rules {rule['labels']['severity']}")
for name in stated.keys() - rules.keys():
    failures.append(f"integration.md states {name}, which the rules do not have")

# Links to the guide's sections.
anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", guide, re.M)}
sections = [slug(h) for h in re.findall(r"^## (.+)$", guide, re.M)]
for anchor in re.findall(r"\]\(#([^)]+)\)", guide):
    check(anchor in anchors, f"integration.md links to #{anchor}, which no heading has")
readme_links = set(re.findall(r"\]\(docs/integration\.md#([^)]+)\)", readme))
for anchor in readme_links:
    check(anchor in anchors, f"README links to integration.md#{anchor}, which no heading has")
for anchor in sections:
    check(anchor in readme_links, f"README does not point to the guide's section #{anchor}")

finish()
