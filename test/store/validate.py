#!/usr/bin/python3
# validate.py SCHEMA FILE...: checks each JSON file against a JSON Schema
# (draft 2020-12). Schemas beside SCHEMA are known by their $id, so that
# "$ref": "observation.schema.json" resolves without a network. Exits 1
# naming the file and the failing part.
import glob
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("validate.py: /usr/bin/python3 lacks jsonschema (Debian: apt-get install python3-jsonschema)")


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    store = {}
    for path in glob.glob(os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "*.schema.json")):
        with open(path) as f:
            other = json.load(f)
        jsonschema.Draft202012Validator.check_schema(other)
        store[other["$id"]] = other
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
    bad = 0
    for path in sys.argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            print(f"{path}: {'/'.join(str(p) for p in e.path)}: {e.message[:300]}", file=sys.stderr)
            bad += 1
    if bad:
        sys.exit(1)


main()
