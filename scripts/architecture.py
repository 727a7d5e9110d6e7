"""The layout's rules, checked from the sources: which crate may depend on which (every
dependency points down the layers in docs/architecture.md), that no crate below the Temporal
layer names Temporal, that no two modules of a crate import each other (directly or round a
circle), and that no crate's `src` is over 4,000 lines.

    python scripts/architecture.py          # prints the layers and each crate's size; exit 1 on a breach
"""

import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Each crate, with the workspace crates it may use. Lower layers first.
LAYERS = {
    "snapstart-proto": set(),
    "snapstart-rules": set(),
    "snapstart-telemetry": set(),
    "snapstart-aws": {"snapstart-rules", "snapstart-telemetry"},
    "snapstart-scan": {"snapstart-aws", "snapstart-proto", "snapstart-rules"},
    "snapstart-deletion": {"snapstart-aws", "snapstart-proto", "snapstart-rules"},
    "snapstart-restore": {"snapstart-aws", "snapstart-proto"},
    "snapstart-notifications": {"snapstart-proto"},
    "snapstart-worker": {
        "snapstart-proto", "snapstart-rules", "snapstart-telemetry", "snapstart-aws",
        "snapstart-scan", "snapstart-deletion", "snapstart-restore", "snapstart-notifications",
    },
    "snapstart-resolver": {"snapstart-proto", "snapstart-telemetry"},
}
# The crates that may name Temporal: the Temporal layer, the resolver (it signals runs), and
# telemetry's optional Prometheus exporter (the Temporal SDK's own, behind feature `prometheus`).
KNOWS_TEMPORAL = {"snapstart-worker", "snapstart-resolver"}
MAX_SRC_LINES = 4000


def crates():
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text())
    for member in workspace["workspace"]["members"]:
        manifest = tomllib.loads((ROOT / member / "Cargo.toml").read_text())
        yield member, manifest


def module_of(path, src):
    """The top-level module a file belongs to (`lib`/`main` for the roots)."""
    rel = path.relative_to(src)
    return rel.parts[0].removesuffix(".rs")


def outside_tests(text):
    """The text before the first `#[cfg(test)]`: unit tests may reach anywhere."""
    return text.split("#[cfg(test)]", 1)[0]


def module_edges(src):
    """(from, to) for every top-level module that names a sibling through `crate::` or, from a
    top-level file, `super::`."""
    files = sorted(src.rglob("*.rs"))
    modules = {module_of(p, src) for p in files} - {"lib", "main"}
    edges = set()
    for path in files:
        here = module_of(path, src)
        if here in ("lib", "main"):
            continue
        text = outside_tests(path.read_text())
        names = set(re.findall(r"\bcrate::(\w+)", text))
        # `use crate::{a, b::c}` and `use super::{...}` in a top-level file
        for group in re.findall(r"\b(?:crate|super)::\{([^;]*)\}", text):
            names |= set(re.findall(r"(?:^|[,{\s])(\w+)", group))
        if len(path.relative_to(src).parts) == 1:
            names |= set(re.findall(r"\bsuper::(\w+)", text))
        edges |= {(here, n) for n in names if n in modules and n != here}
    return modules, edges


def cycle(modules, edges):
    """One circle of imports, or None."""
    graph = {m: sorted(t for f, t in edges if f == m) for m in modules}
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in graph[m]:
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        state[m] = "done"
        stack.pop()
        return None

    for m in sorted(modules):
        if m not in state and (found := visit(m)):
            return found
    return None


def breaches():
    out = []
    seen = set()
    for member, manifest in crates():
        name = manifest["package"]["name"]
        seen.add(name)
        if name not in LAYERS:
            out.append(f"{name}: not placed in a layer (scripts/architecture.py, docs/architecture.md)")
            continue
        deps = set(manifest.get("dependencies", {}))
        used = {d for d in deps if d.startswith("snapstart-")}
        for d in sorted(used - LAYERS[name]):
            out.append(f"{name} depends on {d}, which is not below it")
        src = ROOT / member / "src"
        text = "".join(outside_tests(p.read_text()) for p in src.rglob("*.rs"))
        if name not in KNOWS_TEMPORAL:
            temporal = sorted(d for d in deps if d.startswith("temporalio"))
            optional = all(manifest["dependencies"][d].get("optional") for d in temporal if isinstance(manifest["dependencies"][d], dict))
            if temporal and not (name == "snapstart-telemetry" and optional):
                out.append(f"{name} depends on {temporal}: only the Temporal layer knows Temporal")
            if name != "snapstart-telemetry" and "temporalio" in text:
                out.append(f"{name} names Temporal in its sources")
        lines = sum(len(p.read_text().splitlines()) for p in src.rglob("*.rs"))
        if lines > MAX_SRC_LINES:
            out.append(f"{name}: {lines} lines of src, over {MAX_SRC_LINES}")
        modules, edges = module_edges(src)
        if found := cycle(modules, edges):
            out.append(f"{name}: modules import each other: {' -> '.join(found)}")
    for missing in sorted(set(LAYERS) - seen):
        out.append(f"{missing} is in LAYERS but not in the workspace")
    return out


def main():
    for member, manifest in crates():
        src = ROOT / member / "src"
        lines = sum(len(p.read_text().splitlines()) for p in src.rglob("*.rs"))
        uses = sorted(LAYERS.get(manifest["package"]["name"], ()))
        print(f"{manifest['package']['name']:<26} {lines:>5} lines  uses {', '.join(uses) or '-'}")
    found = breaches()
    for b in found:
        print(f"BREACH: {b}", file=sys.stderr)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
