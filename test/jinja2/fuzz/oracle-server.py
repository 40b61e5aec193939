#!/usr/bin/python3
"""A long-lived Jinja2 oracle for the template fuzzer (test/jinja2/fuzz/).

Reads one JSON object per line, {"vars": <YAML text>, "template": <text>},
and answers each with one line, {"ok": true, "out": <text>} or {"ok": false,
"error": <exception type and message>}. It renders as model-ensembler does
(and as test/jinja2/oracle.py does): PyYAML's full loader, the run's keys as
one namedtuple `run`, the template read in text mode, then
jinja2.Template(text).render(run=run). One process serves every case: a
Python start per case would cost more than the whole comparison.
Test-only: mensemble never runs Python.
"""
import collections
import io
import json
import sys

import jinja2
import yaml


def render(case):
    fields = yaml.load(case["vars"], Loader=yaml.FullLoader) or {}
    Run = collections.namedtuple("Run", list(fields.keys()))
    run = Run(**fields)
    text = io.TextIOWrapper(io.BytesIO(case["template"].encode("utf-8")), encoding="utf-8").read()
    return jinja2.Template(text).render(run=run)


for line in sys.stdin:
    try:
        result = {"ok": True, "out": render(json.loads(line))}
    except Exception as e:  # noqa: BLE001 - every failure is a result
        result = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
