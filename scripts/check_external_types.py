#!/usr/bin/env python3
"""Report dependency types that leak into a crate's public API.

Reads the rustdoc JSON of one crate (`cargo rustdoc -p CRATE -- -Z unstable-options
--output-format json`) and walks every public item reachable from the crate root:
function and method signatures, public struct fields, enum variants, trait items and
bounds, type aliases, constants and statics, impls of traits on public types, and
`pub use` re-exports. Every type or trait path it meets that is defined in another crate
is checked against that crate's allowlist (scripts/external-types.json).

Each violation is printed as `crate: item path: external type`; the exit status is 1 when
there is any, 2 on a usage or input error, 0 otherwise.

Python 3.9+, standard library only.

Usage: check_external_types.py --crate auth0-api --allowlist scripts/external-types.json \
           target/doc/auth0_api.json
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

# The rustdoc JSON format this walker was written against (rustc 1.95). Other versions
# are read all the same; a warning says so, since renamed fields would hide items.
KNOWN_FORMAT_VERSIONS = {57}

Json = Any


class Allowlist:
    """Which external crates (and, optionally, which of their items) a crate may expose."""

    def __init__(self, config: Dict[str, Json], crate: str) -> None:
        crates = config.get("crates", {})
        if crate not in crates:
            raise KeyError(f"no allowlist for crate {crate!r} in the allowlist file")
        self.rules: Dict[str, Dict[str, Json]] = {}
        for name in config.get("always", []):
            self.rules[name] = {}
        for name, rule in crates[crate].items():
            if name.startswith("_"):  # "_why" and other notes
                continue
            self.rules[name] = rule if isinstance(rule, dict) else {}

    def allows(self, krate: str, path: str, kind: Optional[str]) -> bool:
        rule = self.rules.get(krate)
        if rule is None:
            return False
        items = rule.get("items")
        if items is not None and not any(fnmatch.fnmatchcase(path, p) for p in items):
            return False
        kinds = rule.get("kinds")
        if kinds is not None and kind not in kinds:
            return False
        return True


class Checker:
    def __init__(self, doc: Dict[str, Json], crate: str, allow: Allowlist) -> None:
        self.doc = doc
        self.crate = crate
        self.allow = allow
        self.index: Dict[str, Json] = doc["index"]
        self.paths: Dict[str, Json] = doc.get("paths", {})
        self.external: Dict[str, Json] = doc.get("external_crates", {})
        self.ext_names = {str(c.get("name")) for c in self.external.values()}
        self.violations: Set[Tuple[str, str]] = set()
        self.visited: Set[str] = set()
        self.unresolved: Set[Tuple[str, str]] = set()
        self.seen: Set[Tuple[str, str]] = set()  # every external (crate, path) met

    # ---- helpers -------------------------------------------------------------------

    def crate_name(self, crate_id: Json) -> str:
        c = self.external.get(str(crate_id))
        return str(c["name"]) if c else f"<crate {crate_id}>"

    def external_path(self, id_: Json) -> Optional[Tuple[str, str, Optional[str]]]:
        """(crate name, full path, kind) when `id_` names an item of another crate."""
        if id_ is None:
            return None
        key = str(id_)
        summary = self.paths.get(key)
        if summary is not None:
            if summary.get("crate_id", 0) == 0:
                return None
            krate = self.crate_name(summary["crate_id"])
            return krate, "::".join(summary.get("path", [])) or krate, summary.get("kind")
        item = self.index.get(key)
        if item is not None:
            if item.get("crate_id", 0) == 0:
                return None
            krate = self.crate_name(item["crate_id"])
            return krate, f"{krate}::{item.get('name') or '?'}", kind_of(item)
        return None

    def report(self, where: str, krate: str, path: str, kind: Optional[str]) -> None:
        self.seen.add((krate, path))
        if not self.allow.allows(krate, path, kind):
            self.violations.add((where, path))

    def check_path(self, where: str, p: Json) -> None:
        """A `Path` (resolved type path or trait path) and its generic arguments."""
        if p is None:
            return
        ext = self.external_path(p.get("id"))
        if ext is not None:
            self.report(where, *ext)
        elif str(p.get("id")) not in self.paths and str(p.get("id")) not in self.index:
            written = p.get("path", p.get("name", ""))
            first = written.split("::", 1)[0]
            if first in self.ext_names:
                self.report(where, first, written, None)
            elif not written.startswith("__"):  # hidden helpers that macros generate
                self.unresolved.add((where, written))
        self.check_generic_args(where, p.get("args"))

    def check_generic_args(self, where: str, args: Json) -> None:
        if not args or not isinstance(args, dict):
            return
        if "angle_bracketed" in args:
            ab = args["angle_bracketed"]
            for arg in ab.get("args", []):
                if isinstance(arg, dict) and "type" in arg:
                    self.check_type(where, arg["type"])
            for c in ab.get("constraints", ab.get("bindings", [])):
                self.check_generic_args(where, c.get("args"))
                binding = c.get("binding", {})
                if "equality" in binding:
                    term = binding["equality"]
                    if isinstance(term, dict) and "type" in term:
                        self.check_type(where, term["type"])
                if "constraint" in binding:
                    self.check_bounds(where, binding["constraint"])
        elif "parenthesized" in args:
            par = args["parenthesized"]
            for t in par.get("inputs", []):
                self.check_type(where, t)
            self.check_type(where, par.get("output"))

    def check_bounds(self, where: str, bounds: Iterable[Json]) -> None:
        for b in bounds or []:
            if isinstance(b, dict) and "trait_bound" in b:
                tb = b["trait_bound"]
                self.check_path(where, tb.get("trait"))
                self.check_generic_params(where, tb.get("generic_params", []))

    def check_generic_params(self, where: str, params: Iterable[Json]) -> None:
        for gp in params or []:
            kind = gp.get("kind", {})
            if "type" in kind:
                self.check_bounds(where, kind["type"].get("bounds", []))
                self.check_type(where, kind["type"].get("default"))
            elif "const" in kind:
                self.check_type(where, kind["const"].get("type"))

    def check_generics(self, where: str, g: Json) -> None:
        if not g:
            return
        self.check_generic_params(where, g.get("params", []))
        for wp in g.get("where_predicates", []):
            if "bound_predicate" in wp:
                bp = wp["bound_predicate"]
                self.check_type(where, bp.get("type"))
                self.check_bounds(where, bp.get("bounds", []))
                self.check_generic_params(where, bp.get("generic_params", []))
            elif "eq_predicate" in wp:
                ep = wp["eq_predicate"]
                self.check_type(where, ep.get("lhs"))
                rhs = ep.get("rhs")
                if isinstance(rhs, dict) and "type" in rhs:
                    self.check_type(where, rhs["type"])

    def check_type(self, where: str, t: Json) -> None:
        if t is None or not isinstance(t, dict):
            return  # "infer", or absent
        if "resolved_path" in t:
            self.check_path(where, t["resolved_path"])
        elif "dyn_trait" in t:
            for pt in t["dyn_trait"].get("traits", []):
                self.check_path(where, pt.get("trait"))
                self.check_generic_params(where, pt.get("generic_params", []))
        elif "impl_trait" in t:
            self.check_bounds(where, t["impl_trait"])
        elif "borrowed_ref" in t:
            self.check_type(where, t["borrowed_ref"].get("type"))
        elif "raw_pointer" in t:
            self.check_type(where, t["raw_pointer"].get("type"))
        elif "slice" in t:
            self.check_type(where, t["slice"])
        elif "array" in t:
            self.check_type(where, t["array"].get("type"))
        elif "pat" in t:
            self.check_type(where, t["pat"].get("type"))
        elif "tuple" in t:
            for x in t["tuple"]:
                self.check_type(where, x)
        elif "function_pointer" in t:
            fp = t["function_pointer"]
            self.check_sig(where, fp.get("sig", fp.get("decl")))
            self.check_generic_params(where, fp.get("generic_params", []))
        elif "qualified_path" in t:
            qp = t["qualified_path"]
            self.check_type(where, qp.get("self_type"))
            self.check_path(where, qp.get("trait"))
            self.check_generic_args(where, qp.get("args"))
        # "generic" and "primitive" name nothing external

    def check_sig(self, where: str, sig: Json) -> None:
        if not sig:
            return
        for inp in sig.get("inputs", []):
            self.check_type(where, inp[1] if isinstance(inp, list) else inp)
        self.check_type(where, sig.get("output"))

    # ---- the walk ------------------------------------------------------------------

    def is_public(self, item: Json) -> bool:
        # "default" is what trait-impl items and enum variants carry.
        return item.get("visibility") in ("public", "default")

    def run(self) -> None:
        root = self.doc["root"]
        root_item = self.index[str(root)]
        self.walk(str(root), root_item.get("name") or self.crate.replace("-", "_"))

    def walk(self, key: str, path: str) -> None:
        item = self.index.get(key)
        if item is None:
            return
        if item.get("crate_id", 0) != 0:
            # A local re-export that rustdoc inlined from another crate: the item itself
            # is the external thing the crate exposes.
            ext = self.external_path(key)
            if ext is not None:
                self.report(path, *ext)
            return
        if key in self.visited:
            return
        self.visited.add(key)
        if not self.is_public(item):
            return
        inner = item.get("inner", {})
        kind = next(iter(inner), None) if isinstance(inner, dict) else inner

        if kind == "module":
            for child in inner["module"].get("items", []):
                self.walk_child(str(child), path)
        elif kind == "use":
            self.walk_use(item, inner["use"], path)
        elif kind == "extern_crate":
            ec = inner["extern_crate"]
            self.report(f"{path} (pub extern crate)", ec.get("name", "?"), ec.get("name", "?"), "module")
        elif kind == "function":
            f = inner["function"]
            self.check_generics(path, f.get("generics"))
            self.check_sig(path, f.get("sig", f.get("decl")))
        elif kind == "struct":
            s = inner["struct"]
            self.check_generics(path, s.get("generics"))
            sk = s.get("kind")
            fields: List[Json] = []
            if isinstance(sk, dict) and "plain" in sk:
                fields = sk["plain"].get("fields", [])
            elif isinstance(sk, dict) and "tuple" in sk:
                fields = [f for f in sk["tuple"] if f is not None]
            for f in fields:
                self.walk_field(str(f), path)
            self.walk_impls(s.get("impls", []), path)
        elif kind == "union":
            u = inner["union"]
            self.check_generics(path, u.get("generics"))
            for f in u.get("fields", []):
                self.walk_field(str(f), path)
            self.walk_impls(u.get("impls", []), path)
        elif kind == "enum":
            e = inner["enum"]
            self.check_generics(path, e.get("generics"))
            for v in e.get("variants", []):
                vitem = self.index.get(str(v))
                if vitem is None:
                    continue
                vpath = f"{path}::{vitem.get('name')}"
                vk = vitem.get("inner", {}).get("variant", {}).get("kind")
                fields = []
                if isinstance(vk, dict) and "tuple" in vk:
                    fields = [f for f in vk["tuple"] if f is not None]
                elif isinstance(vk, dict) and "struct" in vk:
                    fields = vk["struct"].get("fields", [])
                for f in fields:
                    self.walk_field(str(f), vpath)
            self.walk_impls(e.get("impls", []), path)
        elif kind == "trait":
            tr = inner["trait"]
            self.check_generics(path, tr.get("generics"))
            self.check_bounds(path, tr.get("bounds", []))
            for child in tr.get("items", []):
                self.walk_assoc(str(child), path)
            # Impls of this (local) trait, e.g. blanket impls: their bounds are public too.
            self.walk_impls(tr.get("implementations", []), path)
        elif kind == "trait_alias":
            ta = inner["trait_alias"]
            self.check_generics(path, ta.get("generics"))
            self.check_bounds(path, ta.get("params", []))
        elif kind == "type_alias":
            ta = inner["type_alias"]
            self.check_generics(path, ta.get("generics"))
            self.check_type(path, ta.get("type"))
        elif kind == "constant":
            c = inner["constant"]
            self.check_type(path, c.get("type"))
        elif kind == "static":
            self.check_type(path, inner["static"].get("type"))
        # macros, proc macros, primitives, extern types: no types in a signature

    def walk_child(self, key: str, parent: str) -> None:
        item = self.index.get(key)
        if item is None:
            # An id in a module that the index does not hold: an item of another crate.
            ext = self.external_path(key)
            if ext is not None:
                self.report(f"{parent}::{ext[1].rsplit('::', 1)[-1]}", *ext)
            return
        name = item.get("name")
        inner = item.get("inner", {})
        if isinstance(inner, dict) and "use" in inner:
            self.walk(key, parent)  # the use item names its own path
        else:
            self.walk(key, f"{parent}::{name}" if name else parent)

    def walk_use(self, item: Json, use: Json, parent: str) -> None:
        name = use.get("name") or item.get("name") or "*"
        path = f"{parent}::{name}" if not use.get("is_glob") else f"{parent}::{use.get('source')}::*"
        target = use.get("id")
        label = f"{path} (pub use)"
        if target is not None and str(target) in self.index and self.index[str(target)].get("crate_id", 0) == 0:
            tgt = self.index[str(target)]
            if use.get("is_glob"):
                # Glob: the module's items are re-exported under this module.
                for child in tgt.get("inner", {}).get("module", {}).get("items", []):
                    self.walk_child(str(child), parent)
            else:
                self.walk(str(target), path)
            return
        ext = self.external_path(target)
        if ext is not None:
            self.report(label, *ext)
            return
        # No id (e.g. a primitive, or an item rustdoc did not record): go by the written path.
        source = use.get("source", "")
        first = source.split("::", 1)[0]
        if first in self.ext_names:
            self.report(label, first, source, None)
        elif first not in ("crate", "self", "super", ""):
            self.unresolved.add((label, source))

    def walk_field(self, key: str, parent: str) -> None:
        f = self.index.get(key)
        if f is None or not self.is_public(f):
            return
        t = f.get("inner", {}).get("struct_field")
        self.check_type(f"{parent}::{f.get('name')}", t)

    def walk_assoc(self, key: str, parent: str) -> None:
        it = self.index.get(key)
        if it is None:
            return
        where = f"{parent}::{it.get('name')}"
        inner = it.get("inner", {})
        if "function" in inner:
            f = inner["function"]
            self.check_generics(where, f.get("generics"))
            self.check_sig(where, f.get("sig", f.get("decl")))
        elif "assoc_type" in inner:
            at = inner["assoc_type"]
            self.check_generics(where, at.get("generics"))
            self.check_bounds(where, at.get("bounds", []))
            self.check_type(where, at.get("type", at.get("default")))
        elif "assoc_const" in inner:
            self.check_type(where, inner["assoc_const"].get("type"))

    def walk_impls(self, impls: Iterable[Json], parent: str) -> None:
        for i in impls:
            key = str(i)
            if key in self.visited:
                continue
            imp_item = self.index.get(key)
            if imp_item is None or imp_item.get("crate_id", 0) != 0:
                continue
            imp = imp_item.get("inner", {}).get("impl")
            if imp is None or imp.get("is_synthetic") or imp.get("is_negative"):
                continue  # auto traits
            if imp.get("blanket_impl") is not None:
                # `impl<T> Trait for T` that a dependency provides (tracing's Instrument,
                # ...), listed on the type by rustdoc: it applies to every type, ours included.
                continue
            self.visited.add(key)
            trait = imp.get("trait")
            if trait is not None:
                tname = trait.get("path", trait.get("name", "?")).rsplit("::", 1)[-1]
                where = f"{parent} (impl {tname})"
                self.check_path(where, trait)
                self.check_type(where, imp.get("for"))
                self.check_generics(where, imp.get("generics"))
                for child in imp.get("items", []):
                    self.walk_assoc(str(child), where)
            else:
                self.check_generics(parent, imp.get("generics"))
                for child in imp.get("items", []):
                    c = self.index.get(str(child))
                    if c is not None and c.get("visibility") == "public":
                        self.walk_assoc(str(child), parent)


def kind_of(item: Json) -> Optional[str]:
    inner = item.get("inner")
    if isinstance(inner, dict):
        return next(iter(inner), None)
    return inner if isinstance(inner, str) else None


def run_checker(doc: Dict[str, Json], crate: str, config: Dict[str, Json]) -> Checker:
    checker = Checker(doc, crate, Allowlist(config, crate))
    checker.run()
    return checker


def check(doc: Dict[str, Json], crate: str, config: Dict[str, Json]) -> Tuple[List[str], List[str]]:
    """Violations (`crate: item: type`) and unresolved paths, each sorted."""
    checker = run_checker(doc, crate, config)
    violations = sorted(f"{crate}: {where}: {ty}" for where, ty in checker.violations)
    unresolved = sorted(f"{crate}: {where}: {ty}" for where, ty in checker.unresolved)
    return violations, unresolved


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--crate", required=True, help="package name, as in the allowlist")
    ap.add_argument("--allowlist", required=True, help="scripts/external-types.json")
    ap.add_argument(
        "--list",
        action="store_true",
        help="also list (on stderr) every external type the public API uses, allowed or not",
    )
    ap.add_argument("json", help="rustdoc JSON of the crate")
    args = ap.parse_args(argv)
    try:
        with open(args.json, encoding="utf-8") as f:
            doc = json.load(f)
        with open(args.allowlist, encoding="utf-8") as f:
            config = json.load(f)
        fv = doc.get("format_version")
        if fv not in KNOWN_FORMAT_VERSIONS:
            print(
                f"warning: rustdoc JSON format_version {fv}, this checker knows "
                f"{sorted(KNOWN_FORMAT_VERSIONS)}; renamed fields may hide items",
                file=sys.stderr,
            )
        checker = run_checker(doc, args.crate, config)
        violations = sorted(f"{args.crate}: {w}: {t}" for w, t in checker.violations)
        unresolved = sorted(f"{args.crate}: {w}: {t}" for w, t in checker.unresolved)
    except (OSError, ValueError, KeyError) as e:
        print(f"check_external_types: {e}", file=sys.stderr)
        return 2
    if args.list:
        for krate, path in sorted(checker.seen):
            print(f"uses: {krate}: {path}", file=sys.stderr)
    for u in unresolved:
        print(f"note: unresolved path (not checked): {u}", file=sys.stderr)
    for v in violations:
        print(v)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
