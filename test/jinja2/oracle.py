#!/usr/bin/python3
"""Renders test cases exactly as model-ensembler does, with real Jinja2.

Reads a JSON list of {"vars": <YAML text>, "template": <text>} on stdin and
writes a JSON list of {"ok": true, "out": <text>} or {"ok": false, "error":
<exception type and message>}. model-ensembler loads its configuration with
PyYAML's full Loader, merges a run's keys into one namedtuple `run`, reads
each template in text mode (so CRLF becomes LF) and renders it with
jinja2.Template(text).render(run=run). This script does the same.
Test-only: mensemble never runs Python.
"""
import collections
import io
import json
import sys

import jinja2
import yaml

cases = json.load(sys.stdin)
results = []
for case in cases:
    try:
        files = case.get("files") or {}
        fields = yaml.load(case["vars"], Loader=yaml.FullLoader) or {}
        Run = collections.namedtuple("Run", list(fields.keys()))
        run = Run(**fields)
        # Text mode with universal newlines, as open(path).read() gives model-ensembler.
        text = io.TextIOWrapper(io.BytesIO(case["template"].encode("utf-8")), encoding="utf-8").read()
        if files:
            # Includes and imports are mensemble's extension: FileSystemLoader over the template folder.
            import os
            import tempfile
            folder = tempfile.mkdtemp()
            for name, content in files.items():
                os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
                with open(os.path.join(folder, name), "w") as f:
                    f.write(content)
            env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder))
            out = env.from_string(text).render(run=run)
        else:
            out = jinja2.Template(text).render(run=run)
        results.append({"ok": True, "out": out})
    except Exception as e:  # noqa: BLE001 - every failure is a result
        results.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
json.dump(results, sys.stdout)
