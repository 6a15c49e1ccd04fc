#!/usr/bin/env python3
"""Validate and normalise ramgate's lint catalogue (src/lint/catalogue/).

The catalogue is data: `checks.json` (the lint checks) and
`services/*.json` (RAM codes, actions, resource ARN templates, condition
keys). This script is the documented way to refresh it:

  1. Update a service file from Alibaba's authorization table for the
     service ("RAM authorization" / "授权信息" pages, one per product, e.g.
     https://help.aliyun.com/en/sls/developer-reference/api-sls-2020-12-30-ram
     for Log Service, https://help.aliyun.com/document_detail/2337626.html for
     RAM, https://help.aliyun.com/document_detail/371860.html for STS, the KMS
     "Use RAM to control access to KMS resources" page for KMS). Copy each
     action name (without the `<ram-code>:` prefix), the resource types it
     names (as keys of `resource_types`), and mark actions that change
     permissions with `"access": "permissions-management"`. Add new RAM codes
     to `services/index.json`.
  2. Update `version` (the date), `source` (where the lists came from) and
     `confidence` in the file you changed. Set `complete` to true only when
     the action list was copied in full from the current table: only then
     does `ramgate lint` report every unknown action of the service (the
     others report near-misses only).
  3. Run `python3 scripts/refresh-catalogue.py` (add `--write` to rewrite the
     files sorted and formatted), then `cargo test --lib lint::catalogue` and
     `cargo test --test lint_checks`.

A service file that names `sdk` packages (the service's Tea SDKs on PyPI,
`alibabacloud-ram20150501`, ...) is refreshed from them with `--sdk DIR`:
every API operation the SDK's `client.py` calls (`action='CreateRole'`)
becomes an action, under its RAM name where `api_names` says the two
differ (Log Service: `GetLogs` is `log:GetLogStoreLogs`). Actions are only
ever added: RAM-only actions from the documentation (`ram:PassRole`,
`kms:ReEncryptFrom`) stay. Install the SDKs into a virtual environment
outside the repository, without their dependencies, and pass its
site-packages:

  python3 -m venv /tmp/cat-venv
  /tmp/cat-venv/bin/pip install --no-deps alibabacloud-ram20150501 \
      alibabacloud-ims20190815 alibabacloud-sls20201230 alibabacloud-kms20160120 \
      alibabacloud-sts20150401 alibabacloud-ecs20140526 alibabacloud-vpc20160428 \
      alibabacloud-actiontrail20200706 alibabacloud-oss20190517
  python3 scripts/refresh-catalogue.py --write --sdk /tmp/cat-venv/lib/python3.*/site-packages

The script needs no network and no packages beyond the standard library.
It exits 1 and names the file and the problem when a file is invalid.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "lint" / "catalogue"
SEVERITIES = ["error", "security-warning", "warning", "suggestion"]
SERVICE_KEYS = {"service", "name", "version", "source", "confidence", "complete",
                "resource_types", "condition_keys", "actions"}
OPTIONAL_KEYS = {"sdk", "api_names", "arn_services"}
OPERATION = re.compile(r"\baction\s*=\s*'([A-Za-z0-9]+)'")
KEY_TYPES = {"String", "Numeric", "Date", "Bool", "Ip"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def fail(file, message):
    print(f"{file}: {message}", file=sys.stderr)
    sys.exit(1)


def check_checks(path):
    doc = json.loads(path.read_text())
    codes = [c["code"] for c in doc["checks"]]
    if len(codes) != len(set(codes)):
        fail(path, "duplicate check codes")
    ranks = [SEVERITIES.index(c["severity"]) for c in doc["checks"]]
    if ranks != sorted(ranks):
        fail(path, "checks must be listed from the most to the least severe")
    for c in doc["checks"]:
        if set(c) != {"code", "severity", "title", "explanation", "fix"}:
            fail(path, f"{c['code']}: fields must be code, severity, title, explanation, fix")
        if not re.fullmatch(r"[a-z]+(-[a-z]+)*", c["code"]):
            fail(path, f"{c['code']}: codes are kebab-case")
    return doc


def check_service(path):
    doc = json.loads(path.read_text())
    if not SERVICE_KEYS <= set(doc) <= SERVICE_KEYS | OPTIONAL_KEYS:
        fail(path, f"top-level keys must be {sorted(SERVICE_KEYS)}, and optionally {sorted(OPTIONAL_KEYS)}")
    if not DATE.match(doc["version"]):
        fail(path, "version must be a YYYY-MM-DD date")
    types = {t["name"] for t in doc["resource_types"]}
    for t in doc["resource_types"]:
        own = [doc["service"], "ram"] + doc.get("arn_services", [])
        if not any(t["arn"].startswith(f"acs:{s}:") for s in own):
            fail(path, f"resource type {t['name']}: ARN template {t['arn']} is not an acs: ARN of the service")
    for k in doc["condition_keys"]:
        if k["type"] not in KEY_TYPES:
            fail(path, f"condition key {k['name']}: type must be one of {sorted(KEY_TYPES)}")
    seen = set()
    for a in doc["actions"]:
        if not NAME.match(a["name"]):
            fail(path, f"action {a['name']!r} is not an action name")
        if a["name"].lower() in seen:
            fail(path, f"action {a['name']} is listed twice")
        seen.add(a["name"].lower())
        for r in a.get("resources", []):
            if r not in types:
                fail(path, f"action {a['name']} names unknown resource type {r}")
        if a.get("access") not in (None, "permissions-management"):
            fail(path, f"action {a['name']}: access is `permissions-management` or absent")
    doc["actions"].sort(key=lambda a: a["name"].lower())
    return doc


def sdk_operations(site, package):
    """The API operation names a Tea SDK's client calls."""
    module = package.replace("-", "_")
    client = Path(site) / module / "client.py"
    if not client.exists():
        fail(client, f"no client for `{package}`: install it with pip into {site}")
    return set(OPERATION.findall(client.read_text()))


def refresh_from_sdk(path, doc, site):
    """Adds every SDK operation missing from the action list; returns how many."""
    names = {a["name"].lower() for a in doc["actions"]}
    renamed = doc.get("api_names", {})
    added = 0
    for package in doc.get("sdk", []):
        for op in sorted(sdk_operations(site, package)):
            name = renamed.get(op, op)
            if name.lower() not in names:
                doc["actions"].append({"name": name})
                names.add(name.lower())
                added += 1
    doc["actions"].sort(key=lambda a: a["name"].lower())
    return added


def main():
    args = sys.argv[1:]
    write = "--write" in args
    site = args[args.index("--sdk") + 1] if "--sdk" in args[:-1] else None
    docs = {ROOT / "checks.json": check_checks(ROOT / "checks.json")}
    for path in sorted((ROOT / "services").glob("*.json")):
        if path.name in ("index.json", "global.json"):
            docs[path] = json.loads(path.read_text())
        else:
            docs[path] = check_service(path)
            if site and docs[path].get("sdk"):
                n = refresh_from_sdk(path, docs[path], site)
                print(f"{path.name}: {n} actions added from {', '.join(docs[path]['sdk'])}")
    index = docs[ROOT / "services" / "index.json"]
    if index["services"] != sorted(set(index["services"])):
        index["services"] = sorted(set(index["services"]))
    if write:
        for path, doc in docs.items():
            path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    n = sum(len(d.get("actions", [])) for d in docs.values())
    print(f"catalogue ok: {len(docs) - 1} service files, {n} actions, "
          f"{len(docs[ROOT / 'checks.json']['checks'])} checks")


if __name__ == "__main__":
    main()
