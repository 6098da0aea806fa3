#!/usr/bin/env python3
"""Validates drydock's reports with the formats' official validators and exits 1 on any error:
CycloneDX 1.6 against the official JSON schema (cyclonedx-python-lib), SPDX 2.3 with the SPDX
project's validator (spdx-tools), SARIF 2.1.0 with Microsoft's SARIF multitool (schema errors
and error-level rule results), GitLab container-scanning reports against GitLab's published
JSON schema 15.2.4 (jsonschema, a dependency of the CycloneDX validator).

usage: validate_sboms.py [--sarif-tool PATH] FILE...   (.cdx.json, .spdx.json, .sarif, .gitlab.json)"""
import json
import os
import subprocess
import sys
import tempfile

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document


def sarif_errors(tool, path):
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "validation.sarif")
        subprocess.run([tool, "validate", path, "-o", log], check=True, stdout=subprocess.DEVNULL)
        with open(log) as f:
            results = json.load(f)["runs"][0].get("results", [])
    return [f"{r['ruleId']}: {r['message'].get('text', r['message'])}" for r in results
            if r.get("level", "warning") == "error" or r["ruleId"].startswith("JSON")]


args = sys.argv[1:]
sarif_tool = None
if args[:1] == ["--sarif-tool"]:
    sarif_tool, args = args[1], args[2:]
failed = False
for path in args:
    if path.endswith(".cdx.json"):
        with open(path) as f:
            error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(f.read())
        errors = [str(error)] if error else []
    elif path.endswith(".gitlab.json"):
        import jsonschema
        here = os.path.dirname(os.path.abspath(__file__))
        schema_path = os.path.join(here, "..", "..", "shared", "testdata", "schemas", "gitlab-15.2.4",
                                   "container-scanning-report-format.json")
        with open(schema_path) as f:
            validator = jsonschema.Draft7Validator(json.load(f))
        with open(path) as f:
            errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(json.load(f))]
    elif path.endswith(".sarif"):
        if not sarif_tool:
            sys.exit("a .sarif file needs --sarif-tool")
        errors = sarif_errors(sarif_tool, path)
    else:
        errors = [m.validation_message for m in validate_full_spdx_document(parse_file(path))]
    for e in errors:
        print(f"{path}: {e}")
    failed |= bool(errors)
    print(f"{path}: {'INVALID' if errors else 'valid'}")
sys.exit(1 if failed else 0)
