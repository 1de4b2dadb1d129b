"""Self-test of check_external_types.py on small handcrafted rustdoc JSON documents.

Run: python3 -m unittest discover -s scripts -p 'test_check_external_types.py'
"""

import copy
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_external_types as cet  # noqa: E402

CONFIG = {
    "always": ["std", "core", "alloc"],
    "crates": {
        "demo": {
            "http": {},
            "serde_core": {"kinds": ["trait"]},
            "serde_json": {"items": ["serde_json::value::Value"]},
        }
    },
}


def path(id_, name, args=None):
    return {"path": name, "id": id_, "args": args}


def rp(id_, name, args=None):
    return {"resolved_path": path(id_, name, args)}


def angle(*types):
    return {"angle_bracketed": {"args": [{"type": t} for t in types], "constraints": []}}


def fn_item(id_, name, inputs, output, vis="public", generics=None):
    return {
        "id": id_,
        "crate_id": 0,
        "name": name,
        "visibility": vis,
        "inner": {
            "function": {
                "sig": {"inputs": inputs, "output": output, "is_c_variadic": False},
                "generics": generics or {"params": [], "where_predicates": []},
                "header": {},
                "has_body": True,
            }
        },
    }


def base_doc():
    """crate `demo` with one clean function: `pub fn ok(h: http::HeaderMap) -> String`."""
    return {
        "format_version": 57,
        "root": 0,
        "index": {
            "0": {
                "id": 0,
                "crate_id": 0,
                "name": "demo",
                "visibility": "public",
                "inner": {"module": {"is_crate": True, "items": [1], "is_stripped": False}},
            },
            "1": fn_item(1, "ok", [["h", rp(100, "http::HeaderMap")]], rp(101, "String")),
        },
        "paths": {
            "100": {"crate_id": 1, "path": ["http", "header", "map", "HeaderMap"], "kind": "struct"},
            "101": {"crate_id": 2, "path": ["alloc", "string", "String"], "kind": "struct"},
            "102": {"crate_id": 3, "path": ["reqwest", "async_impl", "client", "Client"], "kind": "struct"},
            "103": {"crate_id": 4, "path": ["url", "Url"], "kind": "struct"},
            "104": {"crate_id": 5, "path": ["serde_core", "ser", "Serialize"], "kind": "trait"},
            "105": {"crate_id": 6, "path": ["serde_json", "value", "Value"], "kind": "enum"},
            "106": {"crate_id": 6, "path": ["serde_json", "de", "Deserializer"], "kind": "struct"},
            "107": {"crate_id": 2, "path": ["core", "option", "Option"], "kind": "enum"},
            "108": {"crate_id": 3, "path": ["reqwest"], "kind": "module"},
            "109": {"crate_id": 7, "path": ["core", "convert", "From"], "kind": "trait"},
            "110": {"crate_id": 5, "path": ["serde_core", "de", "Deserializer"], "kind": "struct"},
        },
        "external_crates": {
            "1": {"name": "http"},
            "2": {"name": "alloc"},
            "3": {"name": "reqwest"},
            "4": {"name": "url"},
            "5": {"name": "serde_core"},
            "6": {"name": "serde_json"},
            "7": {"name": "core"},
        },
    }


def add(doc, item, in_root=True):
    doc["index"][str(item["id"])] = item
    if in_root:
        doc["index"]["0"]["inner"]["module"]["items"].append(item["id"])
    return doc


def run(doc):
    violations, _ = cet.check(doc, "demo", CONFIG)
    return violations


class CheckerTest(unittest.TestCase):
    def test_clean_crate_passes(self):
        self.assertEqual(run(base_doc()), [])

    def test_argument_type_is_reported(self):
        doc = add(base_doc(), fn_item(2, "client", [["c", rp(102, "reqwest::Client")]], None))
        self.assertEqual(run(doc), ["demo: demo::client: reqwest::async_impl::client::Client"])

    def test_type_nested_in_generic_args_of_return_is_reported(self):
        ret = rp(107, "Option", angle({"borrowed_ref": {"lifetime": None, "is_mutable": False, "type": rp(103, "Url")}}))
        doc = add(base_doc(), fn_item(2, "public_url", [], ret))
        self.assertEqual(run(doc), ["demo: demo::public_url: url::Url"])

    def test_private_function_is_ignored(self):
        doc = add(base_doc(), fn_item(2, "hidden", [["c", rp(102, "reqwest::Client")]], None, vis="crate"))
        self.assertEqual(run(doc), [])

    def test_reexport_of_external_crate_is_reported(self):
        use = {
            "id": 2,
            "crate_id": 0,
            "name": None,
            "visibility": "public",
            "inner": {"use": {"source": "reqwest", "name": "reqwest", "id": 108, "is_glob": False}},
        }
        self.assertEqual(run(add(base_doc(), use)), ["demo: demo::reqwest (pub use): reqwest"])

    def test_item_narrowed_allowlists(self):
        # serde_json::Value is allowed; serde_json's Deserializer is not; serde traits are
        # allowed but a serde struct is not.
        doc = add(base_doc(), fn_item(2, "claims", [["d", rp(106, "Deserializer")], ["s", rp(110, "D")]], rp(105, "Value")))
        self.assertEqual(
            run(doc),
            [
                "demo: demo::claims: serde_core::de::Deserializer",
                "demo: demo::claims: serde_json::de::Deserializer",
            ],
        )

    def test_trait_bound_in_generics(self):
        generics = {
            "params": [
                {
                    "name": "T",
                    "kind": {
                        "type": {
                            "bounds": [{"trait_bound": {"trait": path(104, "Serialize"), "generic_params": [], "modifier": "none"}}],
                            "default": None,
                            "is_synthetic": False,
                        }
                    },
                }
            ],
            "where_predicates": [
                {"bound_predicate": {"type": {"generic": "T"}, "bounds": [], "generic_params": []}},
            ],
        }
        doc = add(base_doc(), fn_item(2, "ser", [["t", {"generic": "T"}]], None, generics=generics))
        self.assertEqual(run(doc), [])
        # the same bound through a disallowed trait
        doc2 = copy.deepcopy(doc)
        doc2["paths"]["104"] = {"crate_id": 3, "path": ["reqwest", "IntoUrl"], "kind": "trait"}
        self.assertEqual(run(doc2), ["demo: demo::ser: reqwest::IntoUrl"])

    def test_struct_fields_and_trait_impls(self):
        doc = base_doc()
        add(doc, {
            "id": 2, "crate_id": 0, "name": "Error", "visibility": "public",
            "inner": {"struct": {
                "kind": {"plain": {"fields": [3, 4], "has_stripped_fields": False}},
                "generics": {"params": [], "where_predicates": []},
                "impls": [5, 6],
            }},
        })
        add(doc, {"id": 3, "crate_id": 0, "name": "url", "visibility": "public",
                  "inner": {"struct_field": rp(103, "Url")}}, in_root=False)
        add(doc, {"id": 4, "crate_id": 0, "name": "secret", "visibility": "crate",
                  "inner": {"struct_field": rp(102, "Client")}}, in_root=False)
        # impl From<reqwest::Client> for Error (local impl of a std trait)
        add(doc, {"id": 5, "crate_id": 0, "name": None, "visibility": "default",
                  "inner": {"impl": {"is_synthetic": False, "is_negative": False, "blanket_impl": None,
                                     "trait": path(109, "From", angle(rp(102, "Client"))),
                                     "for": rp(2, "Error"), "items": [],
                                     "generics": {"params": [], "where_predicates": []}}}}, in_root=False)
        # a blanket impl that a dependency provides (rustdoc lists it on the type, as a
        # local item) is not part of our API
        add(doc, {"id": 6, "crate_id": 0, "name": None, "visibility": "default",
                  "inner": {"impl": {"is_synthetic": False, "is_negative": False, "blanket_impl": {"generic": "T"},
                                     "trait": path(102, "Whatever"), "for": {"generic": "T"}, "items": [],
                                     "generics": {"params": [], "where_predicates": []}}}}, in_root=False)
        self.assertEqual(
            run(doc),
            [
                "demo: demo::Error (impl From): reqwest::async_impl::client::Client",
                "demo: demo::Error::url: url::Url",
            ],
        )

    def test_main_exit_status_and_output(self):
        doc = add(base_doc(), fn_item(2, "client", [["c", rp(102, "reqwest::Client")]], None))
        with tempfile.TemporaryDirectory() as d:
            j, a = os.path.join(d, "demo.json"), os.path.join(d, "allow.json")
            with open(j, "w") as f:
                json.dump(doc, f)
            with open(a, "w") as f:
                json.dump(CONFIG, f)
            out = io.StringIO()
            with redirect_stdout(out):
                rc = cet.main(["--crate", "demo", "--allowlist", a, j])
            self.assertEqual(rc, 1)
            self.assertIn("demo: demo::client: reqwest::async_impl::client::Client", out.getvalue())
            with open(j, "w") as f:
                json.dump(base_doc(), f)
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                self.assertEqual(cet.main(["--crate", "demo", "--allowlist", a, j]), 0)
                # a crate missing from the allowlist is an error, not a pass
                self.assertEqual(cet.main(["--crate", "other", "--allowlist", a, j]), 2)


if __name__ == "__main__":
    unittest.main()
