#!/usr/bin/python3
"""Validates JSON documents against a JSON Schema, for the schema tests of docs/schemas.

Usage: validate_json_schema.py SCHEMA DOCUMENT...

Checks SCHEMA against its own metaschema (the draft its $schema names), then each DOCUMENT
against SCHEMA. Prints every error as DOCUMENT: at /json/pointer: message. Exits 0 when
every document is valid, 1 when one is not, 2 when the schema or a file cannot be used
(python3-jsonschema missing: scripts/install-deps.sh installs it).
"""
import json
import sys


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        import jsonschema
    except ImportError:
        print("python3-jsonschema is not installed (scripts/install-deps.sh installs it)",
              file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print(f"{argv[1]}: not a usable schema: {e}", file=sys.stderr)
        return 2
    validator = validator_class(schema)
    invalid = 0
    for path in argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                document = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{path}: cannot read: {e}", file=sys.stderr)
            return 2
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        for error in errors:
            pointer = "/" + "/".join(str(p) for p in error.absolute_path)
            print(f"{path}: at {pointer}: {error.message}")
        invalid += bool(errors)
    print(f"{len(argv) - 2 - invalid} of {len(argv) - 2} valid against {argv[1]}")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
