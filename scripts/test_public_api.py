"""Self-test of public_api.py on a small handcrafted rustdoc JSON document.

Run: python3 -m unittest discover -s scripts -p 'test_*.py'
"""

import copy
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import public_api  # noqa: E402
from test_check_external_types import base_doc, fn_item, rp  # noqa: E402


def doc_with_private_fn():
    doc = base_doc()
    doc["index"]["2"] = fn_item(2, "hidden", [], None, vis="crate")
    doc["index"]["0"]["inner"]["module"]["items"].append(2)
    return doc


class PublicApiTest(unittest.TestCase):
    def test_lists_public_functions_with_their_signature(self):
        lines = public_api.listing(doc_with_private_fn(), "demo")
        self.assertIn(
            "fn demo::ok(h: http::header::map::HeaderMap) -> alloc::string::String", lines
        )
        self.assertFalse(any("hidden" in line for line in lines), lines)

    def test_a_changed_signature_changes_the_listing(self):
        doc = doc_with_private_fn()
        changed = copy.deepcopy(doc)
        changed["index"]["1"] = fn_item(1, "ok", [["h", rp(103, "url::Url")]], rp(101, "String"))
        self.assertNotEqual(public_api.listing(doc, "demo"), public_api.listing(changed, "demo"))

    def test_check_fails_on_a_difference_and_passes_after_bless(self):
        import json

        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "demo.json")
            listing = os.path.join(tmp, "demo.txt")
            with open(src, "w", encoding="utf-8") as f:
                json.dump(doc_with_private_fn(), f)
            with open(listing, "w", encoding="utf-8") as f:
                f.write("fn demo::gone()\n")
            with open(os.devnull, "w") as null:
                saved = sys.stdout, sys.stderr
                sys.stdout = sys.stderr = null
                try:
                    self.assertEqual(
                        public_api.main(["--crate", "demo", "--check", listing, src]), 1
                    )
                    self.assertEqual(
                        public_api.main(["--crate", "demo", "--bless", listing, src]), 0
                    )
                    self.assertEqual(
                        public_api.main(["--crate", "demo", "--check", listing, src]), 0
                    )
                finally:
                    sys.stdout, sys.stderr = saved


if __name__ == "__main__":
    unittest.main()
