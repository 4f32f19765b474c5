"""Student self-check: ✅/❌/⏳ in Spanish, no traceback; strict mode propagates."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tlkit.grading import check, selfcheck

STALE = f"   {selfcheck.STALE_STATE}\n"


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.delenv("TLKIT_CHECK_STRICT", raising=False)


def test_pass_prints_correct(capsys):
    with check("ej1"):
        assert 1 + 1 == 2
    assert capsys.readouterr().out == "✅ ej1: correcto\n"


def test_assertion_prints_message_and_hint_without_traceback(capsys):
    with check("ej1", pista="Suma n * n."):
        raise AssertionError("debería valer 14")
    out = capsys.readouterr()
    assert out.out == "❌ ej1: incorrecto. debería valer 14\n   Pista: Suma n * n.\n" + STALE
    assert "Traceback" not in out.out + out.err


def test_not_implemented_says_not_solved(capsys):
    with check("ej2", pista="no se muestra"):
        raise NotImplementedError()
    out = capsys.readouterr().out
    assert out.startswith("⏳ ej2: aún no has resuelto este ejercicio")
    assert "Pista" not in out


def test_other_exception_in_one_line(capsys):
    with check("ej3"):
        {}["falta"]
    out = capsys.readouterr().out
    assert out == "❌ ej3: error al comprobar (KeyError: 'falta')\n" + STALE
    assert "ejecuta de nuevo desde el principio" in STALE


def test_a_missing_name_after_an_unsolved_cell_says_not_solved(monkeypatch, capsys):
    """Checked before solving: the exercise cell stopped at its NotImplementedError, so the
    check meets a NameError; that is "aún no has resuelto", not an error."""
    monkeypatch.setattr(sys, "last_value", NotImplementedError(), raising=False)
    with check("ej4", pista="no se muestra"):
        cambiar_cabeza  # noqa: B018, F821 - what the unsolved cell would have defined
    assert capsys.readouterr().out.startswith("⏳ ej4: aún no has resuelto")
    assert selfcheck.RESULTS["ej4"][0] == "unsolved"
    monkeypatch.setattr(sys, "last_value", KeyError("otra cosa"), raising=False)
    with check("ej4"):
        cambiar_cabeza  # noqa: B018, F821
    assert capsys.readouterr().out.startswith("❌ ej4: error al comprobar (NameError")


def test_strict_mode_propagates(monkeypatch, capsys):
    monkeypatch.setenv("TLKIT_CHECK_STRICT", "1")
    with pytest.raises(AssertionError):
        with check("ej1"):
            raise AssertionError("mal")
    assert "❌ ej1" in capsys.readouterr().out


def test_import_is_light():
    code = ("import sys; from tlkit.grading import check; "
            "heavy = {'nbformat', 'nbclient', 'numpy', 'torch', 'tensorflow'} & set(sys.modules);"
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
