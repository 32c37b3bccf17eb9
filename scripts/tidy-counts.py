#!/usr/bin/env python3
"""The tidy-up's counts at a git revision (default HEAD): files under src/ and crates/ over 600
lines, functions over 80 lines (a brace counter: strings and line comments skipped), and imports
against the pipeline order of lib.rs (a module importing one listed after it, or a leaf importing
anything of the crate).

    scripts/tidy-counts.py [REV] [--old-order]
"""
import re
import subprocess
import sys

REV = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
ORDER = ["cli", "config", "workspace", "run", "baseline", "compare", "report", "github", "history"]
# Leaves: any step may import them; they import nothing of the crate.
LEAVES = ["stats", "text"]
ORDER_BEFORE_LEAVES = ["cli", "config", "workspace", "run", "stats", "baseline", "compare", "report", "github", "history"]
if len(sys.argv) > 2 and sys.argv[2] == "--old-order":
    # The order before stats and text were leaves (stops up to 40 counted this way).
    ORDER, LEAVES = ORDER_BEFORE_LEAVES, []


def files(prefixes):
    out = subprocess.check_output(["git", "ls-tree", "-r", "--name-only", REV, *prefixes], text=True)
    return [f for f in out.split() if f.endswith(".rs")]


def text(path):
    return subprocess.check_output(["git", "show", f"{REV}:{path}"], text=True)


def long_functions(path, lines):
    found, i = [], 0
    while i < len(lines):
        m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(async\s+)?fn\s+(\w+)", lines[i])
        if not m or lines[i].strip().endswith(";"):
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            t = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j])
            t = re.sub(r"'(\\.|[^'\\])'", "''", t).split("//")[0]
            depth += t.count("{") - t.count("}")
            started = started or "{" in t
            if started and depth <= 0:
                break
            j += 1
        if j - i + 1 > 80:
            found.append((j - i + 1, path, m.group(4)))
        i = j + 1 if started else i + 1
    return found


big, funcs, backward = [], [], set()
for path in files(["src", "crates"]):
    body = text(path)
    lines = body.split("\n")
    if len(lines) - 1 > 600:
        big.append((len(lines) - 1, path))
    funcs.extend(long_functions(path, lines))
    parts = path.split("/")
    top = parts[1].removesuffix(".rs") if parts[0] == "src" and len(parts) > 1 else None
    code = body.split("#[cfg(test)]")[0]
    if top in ORDER:
        for m in re.finditer(r"crate::(\w+)", code):
            if m.group(1) in ORDER and ORDER.index(m.group(1)) > ORDER.index(top):
                backward.add((path, m.group(1)))
    if top in LEAVES:
        for m in re.finditer(r"crate::(\w+)", code):
            if m.group(1) != top:
                backward.add((path, m.group(1)))
print(f"== {REV}: {len(big)} files over 600 lines")
for n, p in sorted(big, reverse=True):
    print(f"  {n} {p}")
print(f"== {len(funcs)} functions over 80 lines")
for n, p, name in sorted(funcs, reverse=True):
    print(f"  {n} {p} {name}")
print(f"== {len(backward)} imports against the pipeline order")
for p, t in sorted(backward):
    print(f"  {p} -> {t}")
