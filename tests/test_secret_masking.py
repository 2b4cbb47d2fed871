"""An error a project's settings raise while a revision is imported is printed whole, but the values of secret-looking
names (API, TOKEN, KEY, SECRET, PASS, SIGNATURE, as Django's debug page hides them) are masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity.cli import main
from schema_parity.errors import MASK, mask_secrets
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, write_project

GENERATED = "f3a9c0d1e2b4a5968778695a4b3c2d1e"  # what an application generates for its SECRET at import time
#: A settings module that fails validation the way pydantic reports it: every input value quoted.
SETTINGS = f'''
class ValidationError(ValueError):
    pass

SECRET = "{GENERATED}"
raise ValidationError(
    "2 validation errors for AppSettings\\n"
    "PRODUCTION\\n"
    "  Field required [type=missing, input_value={{'SECRET': '{GENERATED}', 'BASE_URL': 'http://localhost'}}, "
    "input_type=dict]\\n"
    "API_TOKEN\\n"
    "  String should have at least 40 characters [type=string_too_short, input_value='{GENERATED}', input_type=str]"
)
'''
HISTORY = [Revision("a1", None, "pass", imports="import app_settings  # noqa: F401")]


def test_an_import_failure_keeps_the_message_and_masks_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app_settings.py").write_text(SETTINGS)
    write_project(tmp_path, HISTORY, env_py=COOKBOOK_ENV_PY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(["schema", "--dialect", "sqlite"])
    err = capsys.readouterr().err
    assert code == 2
    assert GENERATED not in err
    assert "cannot be imported" in err and "2 validation errors for AppSettings" in err
    assert f"'SECRET': '{MASK}'" in err and "'BASE_URL': 'http://localhost'" in err  # only the secret is hidden
    assert f"input_value='{MASK}', input_type=str" in err and "PRODUCTION" in err and "Field required" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "KeyError: \"Config 'DISPATCH_ENCRYPTION_KEY' is missing\"",
            "KeyError: \"Config 'DISPATCH_ENCRYPTION_KEY' is missing\"",
        ),
        ("DATABASE_PASSWORD=hunter2 HOST=db", f"DATABASE_PASSWORD={MASK} HOST=db"),
        ("{'api_key': \"k'1\", 'name': 'x'}", f"{{'api_key': '{MASK}', 'name': 'x'}}"),
        (
            "name\n  bad [type=x, input_value='visible', input_type=str]",
            "name\n  bad [type=x, input_value='visible', input_type=str]",
        ),
    ],
)
def test_only_values_of_secret_names_are_masked(text: str, expected: str | None) -> None:
    assert mask_secrets(text) == (text if expected is None else expected)
