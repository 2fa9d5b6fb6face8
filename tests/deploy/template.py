"""Reading template.yaml the way CloudFormation would, for the assertions in test_template.py."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
FUNCTIONS = (
    "InteractionsFunction",
    "GenerateFunction",
    "ImageFunction",
    "MigrateFunction",
    "CatalogFunction",
)

_NO_VALUE = object()


def load() -> dict[str, Any]:
    return _plain(cfn_yaml.load(str(TEMPLATE)))


def _plain(node: Any) -> Any:
    """cfn-lint's nodes as plain dicts, lists and strings (they carry line marks we don't need)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def resolve(node: Any, conditions: dict[str, bool]) -> Any:
    """Evaluate Fn::If under `conditions` and drop AWS::NoValue, like CloudFormation does."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            return resolve(when_true if conditions[name] else when_false, conditions)
        if node == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        resolved = {k: resolve(v, conditions) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
    if isinstance(node, list):
        return [v for v in (resolve(item, conditions) for item in node) if v is not _NO_VALUE]
    return node


def scenarios(template: dict[str, Any]) -> Iterator[dict[str, bool]]:
    """Every combination of the template's conditions (a few dozen)."""
    names = sorted(template["Conditions"])
    for values in itertools.product((False, True), repeat=len(names)):
        yield dict(zip(names, values, strict=True))


def function(template: dict[str, Any], name: str, conditions: dict[str, bool]) -> dict[str, Any]:
    """A function's properties with the Globals merged in (environment variables merged too)."""
    globals_ = dict(template["Globals"]["Function"])
    props = dict(template["Resources"][name]["Properties"])
    merged = {**globals_, **props}
    variables = {
        **globals_.get("Environment", {}).get("Variables", {}),
        **props.get("Environment", {}).get("Variables", {}),
    }
    merged["Environment"] = {"Variables": variables}
    return resolve(merged, conditions)


def role_of(template: dict[str, Any], function_name: str) -> str:
    role = template["Resources"][function_name]["Properties"]["Role"]
    assert set(role) == {"Fn::GetAtt"} and role["Fn::GetAtt"][1] == "Arn"
    return role["Fn::GetAtt"][0]


def statements(template: dict[str, Any], resource: str, conditions: dict[str, bool]) -> list[dict]:
    """Identity-policy statements of an IAM role or managed policy, resolved."""
    props = resolve(template["Resources"][resource]["Properties"], conditions)
    if "PolicyDocument" in props:
        documents = [props["PolicyDocument"]]
    else:
        documents = [policy["PolicyDocument"] for policy in props.get("Policies", [])]
    return [statement for document in documents for statement in document["Statement"]]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]
