"""The JSON Schema of a detection rule file (``telegarde detect schema`` prints it)."""

from __future__ import annotations

from typing import Any

THREATS = (
    "phishing",
    "malware",
    "denial_of_service",
    "password_theft",
    "man_in_the_middle",
    "data_loss",
    "other",
)
SEVERITIES = ("low", "medium", "high", "critical")
RESPONSES = ("ban_source", "revoke_sessions", "force_reauth", "lock_device", "quarantine_file")
MODIFIERS = ("in", "prefix", "regex", "cidr", "gt", "gte", "lt", "lte", "exists", "not")
DURATION = {"type": "string", "pattern": r"^[1-9][0-9]*[smhd]$"}
FIELD = {"type": "string", "pattern": r"^[@a-z_][a-z0-9_.@]*$"}
FIELDS = {"oneOf": [FIELD, {"type": "array", "items": FIELD, "minItems": 1}]}
CONDITIONS = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": r"^[@a-z_][a-z0-9_.@]*(\|(" + "|".join(MODIFIERS) + r"))?$"},
}

RULE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Telegarde detection rule",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "threat", "severity", "match"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{2,63}$"},
        "title": {"type": "string", "minLength": 3},
        "description": {"type": "string"},
        "threat": {"enum": list(THREATS)},
        "attack": {
            "type": "array",
            "items": {"type": "string", "pattern": r"^T[0-9]{4}(\.[0-9]{3})?$"},
        },
        "severity": {"enum": list(SEVERITIES)},
        "enabled": {"type": "boolean"},
        "match": {
            "type": "object",
            "additionalProperties": False,
            "required": ["action"],
            "properties": {
                "action": {
                    "oneOf": [
                        {"type": "string", "minLength": 3},
                        {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    ]
                },
                "where": CONDITIONS,
                "not": CONDITIONS,
            },
        },
        "group_by": {"type": "array", "items": FIELD},
        "correlation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "timespan", "gte"],
            "properties": {
                "type": {"enum": ["event_count", "value_count"]},
                "field": FIELDS,
                "timespan": DURATION,
                "gte": {"type": "integer", "minimum": 1},
                "also": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["field", "gte"],
                        "properties": {"field": FIELDS, "gte": {"type": "integer", "minimum": 1}},
                    },
                },
                "ratio": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["where", "gte"],
                    "properties": {
                        "where": CONDITIONS,
                        "gte": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                    },
                },
            },
        },
        "suppress": DURATION,
        "responses": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type"],
                "properties": {
                    "type": {"enum": list(RESPONSES)},
                    "field": FIELD,
                    "duration": DURATION,
                },
            },
        },
        "automatic": {"type": "boolean"},
        "tests": {"type": "object"},
    },
}
