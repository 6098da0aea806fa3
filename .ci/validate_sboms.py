#!/usr/bin/env python3
"""Validates drydock's CycloneDX 1.6 files against the official JSON schema (cyclonedx-python-lib)
and SPDX 2.3 files with the SPDX project's own validator (spdx-tools). Exits 1 on any error."""
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

failed = False
for path in sys.argv[1:]:
    if path.endswith(".cdx.json"):
        with open(path) as f:
            error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(f.read())
        errors = [str(error)] if error else []
    else:
        errors = [m.validation_message for m in validate_full_spdx_document(parse_file(path))]
    for e in errors:
        print(f"{path}: {e}")
    failed |= bool(errors)
    print(f"{path}: {'INVALID' if errors else 'valid'}")
sys.exit(1 if failed else 0)
