#!/usr/bin/env python3
"""Import circles between sibling modules of the workspace's crates.

For every crate under the given roots (default: every workspace crate with a `src/`), each
module's source (test modules left out) is read for the paths it names: `crate::a::b`,
`super::x`, `self::y`, and a sibling named bare inside a `use` group. Module A depends on its
sibling B when anything in A's subtree names something in B's subtree. A cycle among siblings
(A -> B -> ... -> A) is an import circle: the layers no longer read top-down.

Usage: scripts/module-cycles.py [CRATE_DIR ...]   exit 1 when any crate has a circle.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def crate_dirs():
    text = (ROOT / "Cargo.toml").read_text()
    members = re.search(r"members\s*=\s*\[(.*?)\]", text, re.S).group(1)
    for m in re.findall(r'"([^"]+)"', members):
        if (ROOT / m / "src").is_dir():
            yield ROOT / m


def strip_tests(source):
    """Source without `#[cfg(test)]` items (test modules use `super::*` by design)."""
    out = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "#[cfg(test)]":
            # skip the item that follows: up to its matching closing brace, or a `;` line
            depth = 0
            started = False
            i += 1
            while i < len(lines):
                line = lines[i]
                depth += line.count("{") - line.count("}")
                if "{" in line:
                    started = True
                i += 1
                if (started and depth <= 0) or (not started and line.rstrip().endswith(";")):
                    break
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def strip_comments(source):
    source = re.sub(r"//[^\n]*", "", source)
    return re.sub(r"/\*.*?\*/", "", source, flags=re.S)


def modules(src):
    """Module path (tuple) -> file, for the crate whose source root is `src`."""
    found = {}
    for path in src.rglob("*.rs"):
        rel = path.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] in ("mod",):
            parts = parts[:-1]
        if parts in (["lib"], ["main"]):
            parts = []
        found[tuple(parts)] = path
    return found


def base_of(head, module):
    """The module a path starting with `crate`, `self` or `super` is relative to."""
    if head == "crate":
        return []
    if head == "self":
        return list(module)
    return list(module[:-1])


def referenced_paths(module, source):
    """Absolute module paths (tuples) that `module`'s source names."""
    refs = set()
    for m in re.finditer(r"\b(crate|super|self)((?:::\s*\w+)+)", source):
        head, rest = m.group(1), [p.strip() for p in m.group(2).split("::") if p.strip()]
        base = base_of(head, module)
        if head == "super":
            # `super::super::x`
            while rest and rest[0] == "super":
                base = base[:-1]
                rest = rest[1:]
        refs.add(tuple(base + rest))
    # `use crate::a::{b, c::d}` / `use super::{x, y}`: names inside the braces
    for m in re.finditer(r"\b(crate|super|self)((?:::\w+)*)::\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", source):
        head, mid, group = m.group(1), m.group(2), m.group(3)
        base = base_of(head, module) + [p for p in mid.split("::") if p]
        for item in re.split(r",(?![^{]*\})", group):
            first = item.strip().split("::")[0].strip()
            if first and first != "self":
                refs.add(tuple(base + [first]))
    return refs


def cycles_in(crate):
    src = crate / "src"
    mods = modules(src)
    names = set(mods)
    deps = {}  # (parent, child_a) -> set(child_b)
    for module, path in mods.items():
        source = strip_comments(strip_tests(path.read_text()))
        for ref in referenced_paths(module, source):
            # the deepest known module that `ref` lies in
            target = ref
            while target and target not in names:
                target = target[:-1]
            # every level where module and target part ways as siblings
            common = 0
            while common < min(len(module), len(target)) and module[common] == target[common]:
                common += 1
            if common < len(module) and common < len(target):
                parent = module[:common]
                a, b = module[common], target[common]
                deps.setdefault((parent, a), set()).add(b)
    # cycles among siblings, per parent
    found = []
    parents = {p for p, _ in deps}
    for parent in sorted(parents):
        graph = {a: bs for (p, a), bs in deps.items() if p == parent}
        for cycle in strongly_connected(graph):
            if len(cycle) > 1:
                found.append((parent, sorted(cycle), graph))
    return found


def strongly_connected(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(args):
    crates = [Path(a).resolve() for a in args] or list(crate_dirs())
    bad = 0
    for crate in crates:
        for parent, cycle, graph in cycles_in(crate):
            bad += 1
            where = "::".join(parent) or "crate"
            edges = ", ".join(f"{a} -> {b}" for a in cycle for b in sorted(graph.get(a, ())) if b in cycle)
            print(f"{crate.relative_to(ROOT)}: in {where}: {' <-> '.join(cycle)} ({edges})")
    if bad == 0:
        print(f"no import circles in {len(crates)} crates")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
