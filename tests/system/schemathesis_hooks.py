"""Schemathesis hooks for tests/system/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

`fields=` answers, by design, only the fields named: a subset of the 200's declared schema,
which the conformance check would call a violation. Schemathesis therefore calls every list and
detail without it; tests/http/test_fields.py tests it, on both engines.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if case.query:
        case.query.pop("fields", None)
    return case
