#!/usr/bin/env python3
"""List a crate's public API, one line per item, from its rustdoc JSON.

The list is what semver cares about: every public module, type, trait, function, method,
field, variant, constant and trait impl reachable from the crate root, with the signatures
of functions and the types of fields and constants. `api/<crate>.txt` holds the committed
list of each library crate; CI regenerates it and fails on any difference, so a change of
the public API is always a visible, reviewed diff (and a reason to bump the version).

Walks the same items as check_external_types.py (it reuses its walker).

Usage: public_api.py --crate auth0-api target/doc/auth0_api.json            # print
       public_api.py --crate auth0-api --check api/auth0-api.txt JSON       # compare
       public_api.py --crate auth0-api --bless api/auth0-api.txt JSON       # rewrite

Python 3.9+, standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from typing import Any, Dict, List, Optional, Set

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_external_types import Allowlist, Checker  # noqa: E402

Json = Any


class Lister(Checker):
    """The external-types walker, recording every public item instead of judging it."""

    def __init__(self, doc: Dict[str, Json], crate: str) -> None:
        super().__init__(doc, crate, Allowlist({"crates": {crate: {}}}, crate))
        self.lines: Set[str] = set()

    def report(self, where: str, krate: str, path: str, kind: Optional[str]) -> None:
        if where.endswith("(pub use)"):
            self.lines.add(f"pub use {where[: -len(' (pub use)')]} = {path}")

    # ---- rendering -------------------------------------------------------------------

    def name_of(self, p: Json) -> str:
        summary = self.paths.get(str(p.get("id")))
        if summary is not None and summary.get("path"):
            name = "::".join(summary["path"])
        else:
            name = p.get("path", p.get("name", "?"))
        return name + self.args(p.get("args"))

    def args(self, args: Json) -> str:
        if not args or not isinstance(args, dict):
            return ""
        if "angle_bracketed" in args:
            parts: List[str] = []
            for a in args["angle_bracketed"].get("args", []):
                if "type" in a:
                    parts.append(self.ty(a["type"]))
                elif "lifetime" in a:
                    parts.append(a["lifetime"])
                elif "const" in a:
                    parts.append(str(a["const"].get("expr", "_")))
            for c in args["angle_bracketed"].get("constraints", []):
                binding = c.get("binding", {})
                if "equality" in binding:
                    eq = binding["equality"]
                    parts.append(f"{c.get('name')} = {self.ty(eq.get('type', eq))}")
                else:
                    parts.append(f"{c.get('name')}: {self.bounds(binding.get('constraint', []))}")
            return f"<{', '.join(parts)}>" if parts else ""
        if "parenthesized" in args:
            pa = args["parenthesized"]
            out = f"({', '.join(self.ty(t) for t in pa.get('inputs', []))})"
            if pa.get("output") is not None:
                out += f" -> {self.ty(pa['output'])}"
            return out
        return ""

    def bounds(self, bounds: List[Json]) -> str:
        out = []
        for b in bounds or []:
            if "trait_bound" in b:
                tb = b["trait_bound"]
                modifier = "?" if tb.get("modifier") == "maybe" else ""
                out.append(modifier + self.name_of(tb.get("trait", {})))
            elif "outlives" in b:
                out.append(b["outlives"])
            elif "use" in b:
                out.append(f"use<{', '.join(str(x) for x in b['use'])}>")
        return " + ".join(out)

    def ty(self, t: Json) -> str:
        if t is None:
            return "()"
        if not isinstance(t, dict):
            return str(t)
        if "resolved_path" in t:
            return self.name_of(t["resolved_path"])
        if "generic" in t:
            return t["generic"]
        if "primitive" in t:
            return t["primitive"]
        if "borrowed_ref" in t:
            r = t["borrowed_ref"]
            lt = f"{r['lifetime']} " if r.get("lifetime") else ""
            return f"&{lt}{'mut ' if r.get('is_mutable') else ''}{self.ty(r.get('type'))}"
        if "raw_pointer" in t:
            r = t["raw_pointer"]
            return f"*{'mut' if r.get('is_mutable') else 'const'} {self.ty(r.get('type'))}"
        if "slice" in t:
            return f"[{self.ty(t['slice'])}]"
        if "array" in t:
            return f"[{self.ty(t['array'].get('type'))}; {t['array'].get('len')}]"
        if "tuple" in t:
            return f"({', '.join(self.ty(x) for x in t['tuple'])})"
        if "impl_trait" in t:
            return f"impl {self.bounds(t['impl_trait'])}"
        if "dyn_trait" in t:
            traits = [self.name_of(pt.get("trait", {})) for pt in t["dyn_trait"].get("traits", [])]
            lt = t["dyn_trait"].get("lifetime")
            return "dyn " + " + ".join(traits + ([lt] if lt else []))
        if "function_pointer" in t:
            fp = t["function_pointer"]
            return "fn" + self.sig(fp.get("sig", fp.get("decl")))
        if "qualified_path" in t:
            qp = t["qualified_path"]
            trait = qp.get("trait")
            inner = self.ty(qp.get("self_type"))
            if trait:
                inner = f"<{inner} as {self.name_of(trait)}>"
            return f"{inner}::{qp.get('name')}"
        if "pat" in t:
            return self.ty(t["pat"].get("type"))
        return "_"

    def sig(self, sig: Json) -> str:
        if not sig:
            return "()"
        params = []
        for inp in sig.get("inputs", []):
            if isinstance(inp, list) and len(inp) == 2:
                params.append(f"{inp[0]}: {self.ty(inp[1])}")
        out = f"({', '.join(params)})"
        if sig.get("output") is not None:
            out += f" -> {self.ty(sig['output'])}"
        return out

    def generics(self, g: Json) -> str:
        if not g:
            return ""
        params = []
        for p in g.get("params", []):
            kind = p.get("kind", {})
            name = p.get("name", "?")
            if "type" in kind:
                b = self.bounds(kind["type"].get("bounds", []))
                params.append(f"{name}: {b}" if b else name)
            elif "const" in kind:
                params.append(f"const {name}: {self.ty(kind['const'].get('type'))}")
            elif "lifetime" in kind:
                params.append(name)
        return f"<{', '.join(params)}>" if params else ""

    def fn_line(self, path: str, f: Json) -> str:
        header = f.get("header", {})
        quals = "".join(
            q
            for q, on in (
                ("const ", header.get("is_const")),
                ("async ", header.get("is_async")),
                ("unsafe ", header.get("is_unsafe")),
            )
            if on
        )
        return f"{quals}fn {path}{self.generics(f.get('generics'))}{self.sig(f.get('sig', f.get('decl')))}"

    # ---- recording while walking -----------------------------------------------------

    def walk(self, key: str, path: str) -> None:
        item = self.index.get(key)
        if (
            item is not None
            and item.get("crate_id", 0) == 0
            and key not in self.visited
            and self.is_public(item)
        ):
            inner = item.get("inner", {})
            kind = next(iter(inner), None) if isinstance(inner, dict) else inner
            body = inner.get(kind) if isinstance(inner, dict) else None
            if kind == "function":
                self.lines.add(self.fn_line(path, body))
            elif kind in ("struct", "enum", "union", "trait", "trait_alias"):
                self.lines.add(f"{kind} {path}{self.generics(body.get('generics'))}")
                if kind == "enum":
                    for v in body.get("variants", []):
                        vitem = self.index.get(str(v))
                        if vitem is not None:
                            self.lines.add(f"variant {path}::{vitem.get('name')}")
            elif kind == "module":
                self.lines.add(f"mod {path}")
            elif kind == "type_alias":
                self.lines.add(f"type {path} = {self.ty(body.get('type'))}")
            elif kind == "constant":
                self.lines.add(f"const {path}: {self.ty(body.get('type'))}")
            elif kind == "static":
                self.lines.add(f"static {path}: {self.ty(body.get('type'))}")
            elif kind == "macro":
                self.lines.add(f"macro {path}")
        super().walk(key, path)

    def walk_field(self, key: str, parent: str) -> None:
        f = self.index.get(key)
        if f is not None and self.is_public(f):
            t = f.get("inner", {}).get("struct_field")
            self.lines.add(f"field {parent}::{f.get('name')}: {self.ty(t)}")
        super().walk_field(key, parent)

    def walk_assoc(self, key: str, parent: str) -> None:
        it = self.index.get(key)
        # Items of a trait impl are the trait's: the `impl Trait for Type` line covers them.
        if it is not None and " (impl " not in parent:
            where = f"{parent}::{it.get('name')}"
            inner = it.get("inner", {})
            if "function" in inner:
                self.lines.add(self.fn_line(where, inner["function"]))
            elif "assoc_type" in inner:
                at = inner["assoc_type"]
                t = at.get("type", at.get("default"))
                self.lines.add(f"type {where}" + (f" = {self.ty(t)}" if t else ""))
            elif "assoc_const" in inner:
                self.lines.add(f"const {where}: {self.ty(inner['assoc_const'].get('type'))}")
        super().walk_assoc(key, parent)

    def walk_impls(self, impls: Any, parent: str) -> None:
        for i in impls:
            imp_item = self.index.get(str(i))
            if imp_item is None or imp_item.get("crate_id", 0) != 0:
                continue
            imp = imp_item.get("inner", {}).get("impl")
            if (
                imp is None
                or imp.get("is_synthetic")
                or imp.get("is_negative")
                or imp.get("blanket_impl") is not None
            ):
                continue
            trait = imp.get("trait")
            if trait is not None:
                self.lines.add(
                    f"impl{self.generics(imp.get('generics'))} {self.name_of(trait)} for {self.ty(imp.get('for'))}"
                )
        super().walk_impls(impls, parent)


def listing(doc: Dict[str, Json], crate: str) -> List[str]:
    lister = Lister(doc, crate)
    lister.run()
    return sorted(lister.lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--crate", required=True)
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--check", metavar="FILE", help="fail (exit 1) if FILE differs")
    group.add_argument("--bless", metavar="FILE", help="write the list to FILE")
    ap.add_argument("json", help="rustdoc JSON of the crate")
    args = ap.parse_args(argv)
    try:
        with open(args.json, encoding="utf-8") as f:
            doc = json.load(f)
        lines = listing(doc, args.crate)
    except (OSError, ValueError, KeyError) as e:
        print(f"public_api: {e}", file=sys.stderr)
        return 2
    text = "".join(f"{line}\n" for line in lines)
    if args.bless:
        with open(args.bless, "w", encoding="utf-8") as f:
            f.write(text)
        return 0
    if args.check:
        try:
            with open(args.check, encoding="utf-8") as f:
                committed = f.read()
        except OSError:
            committed = ""
        if committed != text:
            sys.stdout.writelines(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    args.check,
                    f"{args.crate} (this build)",
                )
            )
            print(
                f"public API of {args.crate} changed: review the diff, bump the version if it "
                f"breaks users, then run scripts/check-external-types.sh --bless",
                file=sys.stderr,
            )
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
