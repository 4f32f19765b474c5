"""``tlkit publish`` / ``tlkit sync-setup-cells`` on a copy of the repository."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tlkit import cli, course, setup_cell
from tlkit.grading.authoring.assign import assign
from tlkit.publish import PublishError, publish, read_address, sync_setup_cells

ROOT = Path(__file__).resolve().parents[1]
REPO, REF = "ana-garcia/tl-curso", "term-2031a"


@pytest.fixture
def copy(tmp_path) -> Path:
    """The parts of the repository that hold the course address."""
    for folder in ("notebooks", "solutions", "exercises", "docs"):
        # What lessons leave behind (saved models, checkpoints) is ignored by git: not course files.
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns(
            "modelos_*", "*.keras", "*.h5", "*.pt", "*.pth", ".ipynb_checkpoints"))
    (tmp_path / "tlkit").mkdir()
    shutil.copy(ROOT / "tlkit" / "course.py", tmp_path / "tlkit" / "course.py")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_publish_rewrites_the_address_everywhere(copy, capsys):
    old_repo, old_ref = read_address(copy)
    assert cli.main(["publish", "--repo", REPO, "--ref", REF, "--root", str(copy)]) == 0
    assert read_address(copy) == (REPO, REF)
    for name, data in _files(copy).items():
        if name.endswith(".png"):  # docs/img: screenshots
            continue
        text = data.decode("utf-8")
        assert f"github.com/{old_repo}" not in text and f"github/{old_repo}/" not in text, name
    readme = (copy / "README.md").read_text()
    assert course.readme_table(REPO, REF) in readme
    assert f"https://colab.research.google.com/github/{REPO}/blob/{REF}/notebooks/" in readme
    notebooks = sorted(p for f in ("notebooks", "solutions", "exercises") for p in (copy / f).glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        cell = nb.cells[setup_cell.find_setup_cell(nb)]
        assert cell.source.startswith(setup_cell.setup_code(REPO, REF)), path.name
        assert f"https://github.com/{REPO}/archive/{REF}.zip" in cell.source
        assert "from tlkit import config" in cell.source, f"{path.name}: the notebook's own lines were lost"
    assert assign(copy / "solutions", copy / "exercises", check=True).fresh
    out = capsys.readouterr().out
    assert "rewrote tlkit/course.py" in out and "--out" in out and "keep it private" in out


def test_publish_is_idempotent_and_sync_agrees_with_it(copy):
    publish(copy, REPO, REF)
    before = _files(copy)
    again = publish(copy, REPO, REF)
    assert not again.changed and not again.exercises and _files(copy) == before
    assert not sync_setup_cells(copy).changed and _files(copy) == before


def test_a_new_term_moves_every_address_again(copy):
    publish(copy, REPO, REF)
    publish(copy, REPO, "term-2031b")
    text = "".join(d.decode("utf-8", "replace") for d in _files(copy).values())
    assert f"/{REF}" not in text and "archive/term-2031b.zip" in text


@pytest.mark.parametrize("repo, ref", [("no-slash", "v1"), ("a/b c", "v1"), ("ana/tl", "-x"),
                                       ("ana/tl", "a..b"), ("ana/tl", "x/y"), ("ana/tl", ""),
                                       (course.PLACEHOLDER_REPOSITORY, "v1")])
def test_bad_addresses_are_refused_and_nothing_changes(copy, repo, ref, capsys):
    before = _files(copy)
    assert cli.main(["publish", f"--repo={repo}", f"--ref={ref}", "--root", str(copy)]) == 2
    assert "tlkit publish: --" in capsys.readouterr().err
    assert _files(copy) == before


def test_publish_outside_a_course_repository_says_so(tmp_path):
    with pytest.raises(PublishError, match="course.py not found"):
        publish(tmp_path, REPO, REF)


def test_sync_adds_a_setup_cell_to_a_new_notebook_and_repairs_an_edited_one(copy):
    new = new_notebook(cells=[new_markdown_cell("# 06 · Nueva"), new_code_cell("x = 1")])
    for i, cell in enumerate(new.cells):
        cell["id"] = f"c{i}"
    nbformat.write(new, copy / "notebooks" / "06_nueva.ipynb")
    edited = copy / "notebooks" / "00_que_es_transfer_learning.ipynb"
    nb = nbformat.read(edited, as_version=4)
    index = setup_cell.find_setup_cell(nb)
    cell = nb.cells[index]
    cell.metadata.clear()  # as if another tool dropped the metadata
    cell.source = cell.source.replace("tlkit publish", "tlkit publicar") + "\nprint('mío')"
    nb.cells.insert(0, nb.cells.pop(index))  # and moved it
    nbformat.write(nb, edited)

    sync_setup_cells(copy)
    added = nbformat.read(copy / "notebooks" / "06_nueva.ipynb", as_version=4)
    assert [c.cell_type for c in added.cells] == ["markdown", "code", "code"]
    assert added.cells[1].metadata["tlkit"]["setup"] is True
    assert added.cells[1].source == setup_cell.setup_code()  # it imports config and announces
    assert added.cells[1].metadata["cellView"] == "form"  # folded in Colab
    repaired = nbformat.read(edited, as_version=4)
    cell = repaired.cells[setup_cell.find_setup_cell(repaired)]
    assert cell.source.startswith(setup_cell.setup_code()) and cell.source.endswith("print('mío')")
    assert cell.metadata["tlkit"]["setup"] is True
    assert sum(setup_cell.BEGIN in c.source for c in repaired.cells) == 1
    assert not sync_setup_cells(copy).changed  # idempotent


def test_sync_drops_the_tail_it_wrote_before_and_keeps_a_notebook_own_lines():
    from nbformat.v4 import new_code_cell, new_notebook

    old = setup_cell.BEGIN + "\nimport sys\n" + setup_cell.END + "\n\n"
    for tail, kept in [(setup_cell.LEGACY_TAILS[0], ""), (setup_cell.LEGACY_TAILS[1], ""),
                       ("print('mío')", "\n\nprint('mío')")]:
        nb = setup_cell.sync_setup_cell(new_notebook(cells=[new_code_cell(old + tail)]))
        assert nb.cells[0].source == setup_cell.setup_code() + kept
        assert nb.cells[0].source.count("config.announce()") == 1


def test_the_repository_is_in_sync():
    """What `tlkit sync-setup-cells` would write is what git holds (run it after editing)."""
    from tlkit.grading.notebook_io import notebook_bytes, read_notebook

    for path in sorted(p for f in ("notebooks", "solutions") for p in (ROOT / f).glob("*.ipynb")):
        nb = setup_cell.sync_setup_cell(read_notebook(path), *read_address(ROOT))
        assert notebook_bytes(nb) == path.read_bytes(), f"{path.name}: run `tlkit sync-setup-cells`"
    assert re.search(r'^REPOSITORY = "', (ROOT / "tlkit" / "course.py").read_text(), re.M)


# --- the public tree (tlkit.public_tree): what students read never holds an answer -----------

@pytest.fixture
def public(tmp_path_factory) -> Path:
    """A folder for the public tree, outside the private copy."""
    return tmp_path_factory.mktemp("public") / "tree"


def _flat_text(root: Path) -> str:
    """Everything a student could read in ``root``: notebooks' cell sources and text files."""
    from tlkit.public_tree import _readable_text

    texts = [_readable_text(p) or "" for p in sorted(root.rglob("*")) if p.is_file()]
    return re.sub(r"\s+", " ", "\n".join(texts))


def test_the_public_tree_holds_no_solution_and_no_hidden_test(copy, public, capsys):
    from tlkit.public_tree import MARKER, secrets

    out = public
    assert cli.main(["publish", "--repo", REPO, "--ref", REF, "--root", str(copy),
                     "--out", str(out)]) == 0
    assert "no hidden test" in capsys.readouterr().out
    known = secrets(copy / "solutions")
    hidden = [s for s in known if "hidden test" in s.what]
    assert len(hidden) == 13 and len(known) > len(hidden)  # 3 hidden tests per exercise, 4 in 03
    text = _flat_text(out)
    assert "ej1_cabeza" in text, "the exercises' visible tests must be published"
    for secret in known:
        assert secret.text not in text, secret.what
    assert "BEGIN SOLUTION" not in "".join(
        (_flat_text(out / f) for f in ("notebooks", "exercises")))
    assert not any("solutions" in p.relative_to(out).parts for p in out.rglob("*"))
    assert read_address(out) == (REPO, REF)
    for path in (out / "exercises").glob("*.ipynb"):  # the students' badges open these
        assert path.read_bytes() == (copy / "exercises" / path.name).read_bytes()
    assert (out / MARKER).is_file()


def test_a_solution_copied_into_a_lesson_is_refused_with_the_file_named(copy, public, capsys):
    from tlkit.public_tree import secrets

    leaked = next(s for s in secrets(copy / "solutions") if "hidden test" in s.what)
    lesson = copy / "notebooks" / "00_que_es_transfer_learning.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    nb.cells.append(new_code_cell(leaked.text))  # a hidden test pasted into a lesson
    nbformat.write(nb, lesson)
    out = public
    assert cli.main(["publish", "--repo", REPO, "--ref", REF, "--root", str(copy),
                     "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "refusing to publish" in err and "notebooks/00_que_es_transfer_learning.ipynb" in err
    assert leaked.what in err
    assert not out.exists() or not any(out.iterdir()), "nothing may be written on refusal"


@pytest.mark.parametrize("setup, reason", [
    (lambda out, root: (out / "solutions").mkdir(parents=True), "holds solutions/"),
    (lambda out, root: None, "a folder of its own"),
    (lambda out, root: (out.mkdir(parents=True), (out / "notas.txt").write_text("x")), "not empty"),
])
def test_a_public_folder_students_could_misread_is_refused(copy, public, setup, reason, capsys):
    out = copy / "public" if reason == "a folder of its own" else public
    setup(out, copy)
    before = _files(copy)
    assert cli.main(["publish", "--repo", REPO, "--ref", REF, "--root", str(copy),
                     "--out", str(out)]) == 2
    assert reason in capsys.readouterr().err
    assert _files(copy) == before


def test_republishing_replaces_what_it_manages_and_keeps_the_clone(copy, public):
    out = public
    (out / ".git").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    publish(copy, REPO, REF, out)
    (out / "notebooks" / "viejo.ipynb").write_text("{}")  # left from an older term
    publish(copy, REPO, "term-2031b", out)
    assert not (out / "notebooks" / "viejo.ipynb").exists()
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert read_address(out) == (REPO, "term-2031b")


def test_publishing_in_place_into_the_public_repository_is_refused(copy):
    import subprocess

    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    subprocess.run(["git", "-C", str(copy), "remote", "add", "origin",
                    f"git@github.com:{REPO}.git"], check=True)
    with pytest.raises(PublishError, match="students would read them"):
        publish(copy, REPO, REF)
    publish(copy, "ana-garcia/otro-curso", REF)  # a private repository under another name


def test_publish_hand_in_names_the_platform_in_course_py(copy):
    """A Canvas course says so with --hand-in; the final check reads course.HAND_IN."""
    canvas = "en Canvas: «Entregar la tarea»"
    assert cli.main(["publish", "--repo", REPO, "--ref", REF, "--root", str(copy),
                     "--hand-in", canvas]) == 0
    text = (copy / "tlkit" / "course.py").read_text(encoding="utf-8")
    assert f'HAND_IN = "{canvas}"' in text and "Moodle" not in text.split("HAND_IN =")[1].split("\n")[0]
    publish(copy, REPO, REF)  # without --hand-in the text stays
    assert f'HAND_IN = "{canvas}"' in (copy / "tlkit" / "course.py").read_text(encoding="utf-8")
    with pytest.raises(PublishError, match="hand-in"):
        publish(copy, REPO, REF, hand_in='en "Canvas"')
