"""Read data/*.yaml into typed records, turning every mistake into a Problem."""

import os
import typing

import yaml
from pydantic import BaseModel, ValidationError

from website import schema
from website.problems import Problem, did_you_mean, relative

from .locations import SafeLoader, field_path, locate

DATE_HINT = "write the date as YYYY-MM-DD, e.g. 2026-03-03"
RANGE_WORDS = {
    "greater_than": "greater than",
    "greater_than_equal": "of at least",
    "less_than": "less than",
    "less_than_equal": "of at most",
}
DATETIME_HINT = "write the date and time as YYYY-MM-DD HH:MM, e.g. 2026-03-03 14:30"

_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "yes or no",
    list: "a list",
    dict: "a group of fields",
    type(None): "nothing",
}


def _found(value):
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return type(value).__name__


def _fields_at(model, loc):
    """The field names allowed at ``loc`` (for 'did you mean'), if known."""
    for step in loc:
        if isinstance(step, int) or model is None:
            continue
        field = model.model_fields.get(step)
        if field is None:
            return model.model_fields
        model = _record_type(field.annotation)
    return model.model_fields if model is not None else {}


def _is_address(fields, name):
    """Whether the field ``name`` holds a web address (schema.Url)."""
    field = fields.get(name)
    return field is not None and typing.get_args(schema.Url)[1] in field.metadata


def _record_type(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _record_type(arg)
        if found is not None:
            return found
    return None


def explain(error, model):
    """(message, fix, point at key?) for one pydantic error, in editors' words."""
    kind = error["type"]
    loc = error["loc"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    name = loc[-1] if loc else ""
    if kind == "missing" and name == "source" and _is_address(_fields_at(model, loc[:-1]), name):
        return (
            "required field is missing",
            "add 'source: https://…', the official page these facts come from",
            False,
        )
    if kind == "missing":
        return "required field is missing", f"add '{name}: …'", False
    if kind == "extra_forbidden":
        allowed = sorted(_fields_at(model, loc[:-1]))
        fix = did_you_mean(name, allowed) or "allowed fields: " + ", ".join(allowed)
        return f"unknown field '{name}'", fix, True
    if kind == "literal_error":
        choices = [c.strip(" '") for c in ctx.get("expected", "").replace(" or ", ", ").split(",")]
        choices = [c for c in choices if c]
        hint = did_you_mean(value, choices)
        fix = (hint + " " if hint else "") + "use one of: " + ", ".join(choices)
        return f"'{value}' is not allowed here", fix, False
    if kind == "string_pattern_mismatch":
        if "A-Z" in ctx.get("pattern", ""):
            return (
                f"'{value}' is not a province code",
                "use the two capital letters, e.g. LO",
                False,
            )
        if "0-9 ./-" in ctx.get("pattern", ""):
            return (
                f"'{value}' is not a phone number",
                "write the digits as the office publishes them, e.g. 02 1234 5678",
                False,
            )
        if "a-z]{2,3}" in ctx.get("pattern", ""):
            return f"'{value}' is not a language code", "use a code such as it or en", False
        return (
            f"'{value}' is not a valid id",
            "use lowercase letters, digits and single hyphens, e.g. monza-e-brianza",
            False,
        )
    if kind in ("string_type", "string_too_short"):
        if kind == "string_too_short":
            return "the text is empty", "write the text or remove the field", False
        if isinstance(value, bool):
            return (
                "expected text, but YAML reads this word as yes or no",
                'put the text in quotes, e.g. "no"',
                False,
            )
        return f"expected text, found {_found(value)}", "put the text in quotes", False
    if kind in ("bool_type", "bool_parsing"):
        return f"expected yes or no, found '{value}'", "write true or false", False
    if kind.startswith(("int_", "decimal_", "float_", "greater_than", "less_than")):
        limit = ctx.get("gt", ctx.get("ge", ctx.get("lt", ctx.get("le"))))
        if limit is not None:
            return (
                f"{value!r} is out of range ({error['msg'].lower()})",
                f"write a number {RANGE_WORDS.get(kind, 'up to')} {limit}",
                False,
            )
        return f"expected a number, found '{value}'", "write digits only, e.g. 24", False
    if kind in ("list_type", "too_short"):
        if kind == "too_short":
            return "the list is empty", "add at least one item", False
        return (
            f"expected a list, found {_found(value)}",
            "write each item on its own line after '- '",
            False,
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return (
            f"expected a group of fields, found {_found(value)}",
            "write 'name: value' lines, indented",
            False,
        )
    if kind == "date_value":
        return error["msg"], DATE_HINT, False
    if kind == "datetime_value":
        return error["msg"], DATETIME_HINT, False
    if kind == "thousands_dot":
        digits = str(value).strip().replace(".", "")
        return (
            error["msg"],
            f"write {digits} with no dots; a decimal part goes after one dot, e.g. {digits}.50",
            False,
        )
    if kind == "url_value" or kind == "url_type":
        return error["msg"], "write the full address, starting with https://", False
    if kind in ("email_value", "email_type"):
        return error["msg"], "write it as name@example.org", False
    if kind == "unknown_language":
        hint = did_you_mean(ctx["code"], ctx["choices"].split(", "))
        return error["msg"], (hint + " " if hint else "") + "use one of: " + ctx["choices"], True
    if kind == "missing_default_text":
        return error["msg"], f"add '{ctx['lang']}: …' with the text in that language", False
    if kind == "end_before_start":
        return error["msg"], "check the dates of 'start' and 'end'", False
    if kind == "start_missing":
        return error["msg"], DATETIME_HINT, False
    return error["msg"], "", False


class DataFile:
    """One YAML file: its text, its parsed value and where it lives."""

    def __init__(self, path, stem):
        self.path = path
        self.stem = stem
        self.text = None
        self.value = None
        self.parsed = False

    @property
    def shown_path(self):
        return relative(self.path)

    def problem(self, loc, message, fix="", at_key=False):
        line, column = locate(self.text or "", loc, at_key=at_key)
        return Problem(self.shown_path, line, column, field_path(self.stem, loc), message, fix)

    def read_text(self, problems):
        """Read the file's text; False (and a problem) if it cannot be read."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                self.text = handle.read()
        except FileNotFoundError:
            problems.append(
                Problem(
                    self.shown_path,
                    message="the file is missing",
                    fix="create it; see docs/dati.md",
                )
            )
            return False
        except UnicodeDecodeError as error:
            problems.append(
                Problem(
                    self.shown_path,
                    message=f"not UTF-8 text ({error.reason})",
                    fix="save the file as UTF-8",
                )
            )
            return False
        return True

    def parse(self, problems):
        """Parse the text read; False (and a problem) if it is not YAML."""
        try:
            self.value = yaml.load(self.text, Loader=SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            reason = getattr(error, "problem", None) or str(error)
            problems.append(
                Problem(
                    self.shown_path,
                    line,
                    column,
                    self.stem,
                    f"YAML syntax error: {reason}",
                    "check the indentation and the quotes on this line and the one before",
                )
            )
            return False
        self.parsed = True
        return True


def validate_records(data_file, model, shape, context, problems):
    """Validate a file's records one by one, keeping the valid ones."""
    value = data_file.value
    if shape == "mapping":
        if not isinstance(value, dict):
            problems.append(
                data_file.problem(
                    (), f"expected a group of fields, found {_found(value)}", "see docs/dati.md"
                )
            )
            return None
        return _validate_one(data_file, model, value, (), context, problems)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(
            data_file.problem(
                (),
                f"expected a list, found {_found(value)}",
                "start each entry on its own line with '- '",
            )
        )
        return []
    records = []
    for index, item in enumerate(value):
        record = _validate_one(data_file, model, item, (index,), context, problems)
        if record is not None:
            records.append((index, record))
    return records


def _validate_one(data_file, model, value, prefix, context, problems):
    try:
        return model.model_validate(value, context=context)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            message, fix, at_key = explain(detail, model)
            problems.append(data_file.problem(prefix + tuple(detail["loc"]), message, fix, at_key))
        return None


def data_file(data_dir, stem):
    return DataFile(os.path.join(data_dir, f"{stem}.yaml"), stem)
