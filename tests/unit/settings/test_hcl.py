from __future__ import annotations

import pytest

from tfshadow.settings import hcl

TEXT = """\
resource "aws_db_instance" "db" {
  password = "hunter2" # inline comment
  size     = -2
  total    = 1 +
    2
  script   = <<-EOT
    echo ${var.x}
  EOT
  tags     = { Name = "db", "team" = ["a", 1] }
  ref      = var.name
  tpl      = "pre-${var.x}"
  esc      = "a$${b}\\n"

  ebs {
    enabled = true
    nothing = null
  }
}
"""


def entries() -> dict[str, hcl.Entry]:
    body = hcl.parse(TEXT)
    return {e.name: e for _, e in hcl.walk_entries(body) if e.name}


def source(value: hcl.Value) -> str:
    return TEXT[value.start : value.end]


def test_parse_blocks_have_type_labels_and_line() -> None:
    body = hcl.parse(TEXT)
    (block,) = body.blocks
    assert (block.type, block.labels, block.line) == ("resource", ("aws_db_instance", "db"), 1)
    (nested,) = block.body.blocks_of("ebs")
    assert nested.line == 14
    assert nested.body.attribute("enabled") is not None


def test_parse_literals_are_interpreted() -> None:
    found = entries()
    assert found["password"].value.literal == "hunter2"
    assert found["size"].value.literal == -2
    assert found["tags"].value.literal == {"Name": "db", "team": ["a", 1]}
    assert found["esc"].value.literal == "a${b}\n"
    assert found["enabled"].value.literal is True
    assert found["nothing"].value.is_literal and found["nothing"].value.literal is None


def test_parse_non_literals_are_opaque_with_text_flag() -> None:
    found = entries()
    assert (found["ref"].value.kind, found["ref"].value.has_text) == ("expression", False)
    assert (found["tpl"].value.kind, found["tpl"].value.has_text) == ("template", True)
    assert (found["script"].value.kind, found["script"].value.has_text) == ("heredoc", True)
    assert not found["total"].value.is_literal


def test_parse_spans_exclude_comments_and_trailing_newlines() -> None:
    found = entries()
    assert source(found["password"].value) == '"hunter2"'
    assert source(found["total"].value) == "1 +\n    2"
    assert source(found["script"].value) == "<<-EOT\n    echo ${var.x}\n  EOT"
    assert (found["script"].value.line, found["script"].value.end_line) == (6, 8)
    assert source(found["Name"].value) == '"db"'


def test_parse_lines_of_attributes() -> None:
    found = entries()
    assert found["password"].line == 2
    assert found["enabled"].line == 15
    assert found["Name"].line == 9


@pytest.mark.parametrize(
    ("text", "line"),
    [("a = \n", 1), ("x {\n  a = 1\n", 3), ("\n\na = @\n", 3), ("a = 1\n}\n", 2)],
)
def test_parse_syntax_error_has_line(text: str, line: int) -> None:
    with pytest.raises(hcl.HclSyntaxError) as caught:
        hcl.parse(text)
    assert caught.value.line == line
    assert "\n" not in caught.value.message


def test_parse_expressions_expose_objects_written_inside_them() -> None:
    text = 'a = jsonencode({ password = "x", list = [{ token = "y" }] })\nb = f(var.x)\n'
    body = hcl.parse(text)
    names = [e.name for _, e in hcl.walk_entries(body)]
    assert names == ["a", "password", "list", None, "token", "b"]


def test_template_parts_decode_text_and_keep_sequences() -> None:
    quoted = r'"a\"b\\ $${x} %%{y} \u00e9${ attr.id }%{ if c }\n%{ endif }${f({"}" = 1})}"'
    assert hcl.template_parts(quoted) == (
        hcl.TemplatePart("text", 'a"b\\ ${x} %{y} \u00e9'),
        hcl.TemplatePart("interpolation", " attr.id "),
        hcl.TemplatePart("directive", " if c "),
        hcl.TemplatePart("text", "\n"),
        hcl.TemplatePart("directive", " endif "),
        hcl.TemplatePart("interpolation", 'f({"}" = 1})'),
    )
    assert hcl.template_parts('""') == ()
    with pytest.raises(ValueError, match="not a quoted string"):
        hcl.template_parts("<<EOT\nx\nEOT")
