"""The README is part of the product: its commands and tables must match the code."""
import re
from pathlib import Path

from crm_xl.findings import markdown_table

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_codes_table_is_rendered_from_the_catalogue():
    table = re.search(r"<!-- codes:start -->\n(.*?)\n<!-- codes:end -->", README, re.S).group(1)
    assert table == markdown_table()


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    assert "crm-xl demo" in commands[0]
    assert commands[1].endswith("pytest")
    assert commands[1] in (ROOT / ".ci" / "run").read_text("utf-8")
