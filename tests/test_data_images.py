"""Image folders: odd files and modes, junk, empty classes, splits, zips (also malicious ones),
and the real flowers fixture."""

from __future__ import annotations

import io
import tarfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from tlkit.data import archive, image_folder, load_images, load_rgb
from tlkit.data.archive import UnsafeArchiveError, safe_extract
from tlkit.data.image_folders import UnreadableImagesWarning


def _photo(seed=0, size=(40, 30)):
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, size[0] * size[1] * 3).reshape(size[1], size[0], 3)
    return Image.fromarray((base + rng.integers(0, 40, base.shape)).clip(0, 255).astype(np.uint8))


@pytest.fixture
def messy(tmp_path, monkeypatch):
    """A class tree with every kind of file a student's folder may hold."""
    monkeypatch.setenv("TLKIT_HOME", str(tmp_path / "cache"))
    root = tmp_path / "ds"
    cats, dogs = root / "cats", root / "dogs"
    for d in (cats, dogs, root / "empty", root / "__MACOSX" / "cats", cats / "nested"):
        d.mkdir(parents=True)
    _photo(1).save(cats / "a.jpg")
    _photo(2).save(cats / "b.JPG", format="JPEG")
    _photo(3).save(cats / "c.jpeg", format="JPEG")
    _photo(4).convert("L").save(cats / "gray.png")
    _photo(5).convert("CMYK").save(cats / "cmyk.jpg")
    _photo(6).save(cats / "nested" / "deep.webp")
    rgba = _photo(7).convert("RGBA")
    rgba.putpixel((0, 0), (10, 20, 30, 0))  # fully transparent pixel
    rgba.save(dogs / "rgba.png")
    _photo(8).convert("P").save(dogs / "palette.bmp")
    Image.fromarray(np.full((10, 12), 65535, dtype=np.uint16)).save(dogs / "deep16.png")
    _photo(9).save(dogs / "d.png")
    buf = io.BytesIO()
    _photo(10, size=(200, 150)).save(buf, "JPEG", quality=95)
    (dogs / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (dogs / "fake.jpg").write_text("this is not an image\n")
    (dogs / "notes.txt").write_text("notes")
    (cats / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (cats / "Thumbs.db").write_bytes(b"junk")
    (cats / "._a.jpg").write_bytes(b"AppleDouble")
    (root / "__MACOSX" / "cats" / "._a.jpg").write_bytes(b"AppleDouble")
    (root / ".hidden").mkdir()
    _photo(11).save(root / ".hidden" / "x.png")
    return root


def test_messy_folder_loads_good_images_and_reports_bad_ones(messy):
    with pytest.warns(UnreadableImagesWarning) as record:
        ds = image_folder(messy, val=0.25, seed=0)
    assert ds.classes == ["cats", "dogs"]
    assert ds.empty_classes == ["empty"]
    skipped = {p.relative_to(messy).as_posix(): why for p, why in ds.skipped}
    assert set(skipped) == {"dogs/truncated.jpg", "dogs/fake.jpg", "dogs/notes.txt"}
    assert "cannot be decoded" in skipped["dogs/truncated.jpg"]
    text = "\n".join(str(w.message) for w in record)
    assert str(messy / "dogs" / "truncated.jpg") in text and "empty" in text
    used = {p.relative_to(messy).as_posix() for p, _ in ds.train + ds.val + ds.test}
    assert used == {"cats/a.jpg", "cats/b.JPG", "cats/c.jpeg", "cats/gray.png", "cats/cmyk.jpg",
                    "cats/nested/deep.webp", "dogs/rgba.png", "dogs/palette.bmp",
                    "dogs/deep16.png", "dogs/d.png"}
    for path, label in ds.train + ds.val:
        img = load_rgb(path, size=32)
        assert img.mode == "RGB" and img.size == (32, 32)
        assert ds.classes[label] == path.relative_to(messy).parts[0]
    assert ds.source.origin == "data_dir" and ds.layout == "classes"


def test_split_is_stratified_and_seeded(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(10):
            _photo(i, size=(8, 8)).save(tmp_path / cls / f"{i}.png")
    ds = image_folder(tmp_path, val=0.2, test=0.1, seed=3)
    assert ds.counts() == {"train": {"a": 7, "b": 7}, "val": {"a": 2, "b": 2},
                           "test": {"a": 1, "b": 1}}
    assert image_folder(tmp_path, val=0.2, test=0.1, seed=3).val == ds.val
    assert image_folder(tmp_path, val=0.2, test=0.1, seed=4).val != ds.val
    assert not set(ds.train) & set(ds.val)


def test_load_rgb_conversions(messy):
    rgba = load_rgb(messy / "dogs" / "rgba.png")
    assert rgba.getpixel((0, 0)) == (255, 255, 255)  # transparent → white background
    deep = load_rgb(messy / "dogs" / "deep16.png")
    assert deep.getpixel((0, 0)) == (255, 255, 255)  # 16-bit white stays white, not clipped
    gray = load_rgb(messy / "cats" / "gray.png")
    r, g, b = (np.asarray(gray)[..., i] for i in range(3))
    assert np.array_equal(r, g) and np.array_equal(g, b)
    assert load_rgb(messy / "cats" / "cmyk.jpg").mode == "RGB"


def test_truncated_jpeg_is_caught_even_if_a_notebook_allowed_truncation(messy, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.warns(UnreadableImagesWarning):
        ds = image_folder(messy)
    assert messy / "dogs" / "truncated.jpg" in {p for p, _ in ds.skipped}
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored


def test_given_train_val_folders_are_used(tmp_path):
    for split, n in (("train", 4), ("val", 2)):
        for cls in ("x", "y"):
            (tmp_path / "wrap" / split / cls).mkdir(parents=True)
            for i in range(n):
                _photo(i, (8, 8)).save(tmp_path / "wrap" / split / cls / f"{i}.png")
    ds = image_folder(tmp_path)  # a single wrapping folder is looked through
    assert ds.layout == "splits" and ds.root == tmp_path / "wrap"
    assert (len(ds.train), len(ds.val), len(ds.test)) == (8, 4, 0)
    assert all(p.parts[-3] == "val" for p, _ in ds.val)


def _zip(path: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
    return path


def _png_bytes(seed):
    buf = io.BytesIO()
    _photo(seed, (8, 8)).save(buf, "PNG")
    return buf.getvalue()


def test_zip_with_wrapping_folder_and_macosx_junk(tmp_path, monkeypatch):
    monkeypatch.setenv("TLKIT_HOME", str(tmp_path / "cache"))
    members = {f"vegetables/{c}/{i}.png": _png_bytes(i) for c in ("bean", "carrot")
               for i in range(3)}
    members["__MACOSX/vegetables/bean/._0.png"] = b"junk"
    members["vegetables/.DS_Store"] = b"junk"
    ds = image_folder(_zip(tmp_path / "vegetables.zip", members), val=0.34)
    assert ds.classes == ["bean", "carrot"] and ds.skipped == []
    assert len(ds.train) + len(ds.val) == 6
    assert (tmp_path / "cache" / "extracted") in ds.root.parents


@pytest.mark.parametrize("evil", ["../evil.txt", "ok/../../evil.txt", "/tmp/tlkit-evil-abs.txt",
                                  "..\\evil.txt"])
def test_malicious_zip_paths_are_refused(tmp_path, monkeypatch, evil):
    monkeypatch.setenv("TLKIT_HOME", str(tmp_path / "cache"))
    bad = _zip(tmp_path / "bad.zip", {"a/1.png": _png_bytes(1), evil: b"pwned"})
    with pytest.raises(UnsafeArchiveError, match=r"bad\.zip.*member") as info:
        image_folder(bad)
    assert evil in str(info.value) or repr(evil) in str(info.value)
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/tlkit-evil-abs.txt").exists()
    assert not any((tmp_path / "cache" / "extracted").rglob("*.png"))


def test_symlink_member_is_refused(tmp_path):
    bad = _zip(tmp_path / "link.zip", {"a/1.png": _png_bytes(1)}, symlink="a/passwd")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        safe_extract(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_zip_bomb_over_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TLKIT_HOME", str(tmp_path / "cache"))
    bomb = _zip(tmp_path / "bomb.zip", {"a/1.png": _png_bytes(1), "a/zeros.bin": bytes(5 << 20)})
    assert bomb.stat().st_size < 50_000  # highly compressed
    with pytest.raises(UnsafeArchiveError, match=r"bomb\.zip.*zeros\.bin.*cap"):
        safe_extract(bomb, tmp_path / "out", max_bytes=1 << 20)
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(archive, "MAX_BYTES", 1 << 20)
    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        image_folder(bomb)
    with pytest.raises(UnsafeArchiveError, match="members"):
        safe_extract(bomb, tmp_path / "out2", max_members=1)


def test_tar_with_traversal_or_link_is_refused(tmp_path):
    for name, kind in (("../evil.txt", tarfile.REGTYPE), ("a/link", tarfile.SYMTYPE)):
        path = tmp_path / "bad.tar"
        with tarfile.open(path, "w") as tf:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
            info.size = 5 if kind == tarfile.REGTYPE else 0
            tf.addfile(info, io.BytesIO(b"pwned") if kind == tarfile.REGTYPE else None)
        with pytest.raises(UnsafeArchiveError, match=r"bad\.tar"):
            safe_extract(path, tmp_path / "out")
        assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()


def test_real_flowers_folder(shared_data, monkeypatch):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnreadableImagesWarning)
        ds = image_folder(shared_data / "flowers")
    elapsed = time.perf_counter() - start
    assert ds.layout == "splits"
    assert ds.classes == ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
    assert (len(ds.train), len(ds.val), len(ds.test)) == (200, 100, 0)
    assert set(ds.counts()["val"].values()) == {20}
    assert elapsed < 10, f"checking 300 images took {elapsed:.1f} s"
    monkeypatch.setenv("TLKIT_DATA_DIR", str(shared_data))
    course = load_images("flowers")
    assert course.source.origin == "data_dir" and len(course.train) == 200


def test_a_class_folder_given_as_root_gets_a_clear_error(tmp_path):
    from PIL import Image

    for i in range(3):  # a student points at flowers/daisy instead of flowers/
        Image.new("RGB", (8, 8), (i, 0, 0)).save(tmp_path / f"{i}.jpg")
    with pytest.raises(ValueError, match=r"no class folders.*3 image\(s\) lie directly in it"):
        image_folder(tmp_path)


def test_extracted_files_keep_the_time_the_zip_recorded(tmp_path):
    """Which of two uploads is newer (the grader keeps the newest) must survive extraction."""
    import time
    import zipfile

    from tlkit.data.archive import safe_extract

    archive = tmp_path / "entregas.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr(zipfile.ZipInfo("ana/00_ejemplo (1).ipynb", (2026, 3, 2, 9, 30, 0)), "{}")
        handle.writestr(zipfile.ZipInfo("ana/00_ejemplo.ipynb", (2026, 3, 1, 18, 5, 0)), "{}")
    out = safe_extract(archive, tmp_path / "out")
    newer, older = out / "ana" / "00_ejemplo (1).ipynb", out / "ana" / "00_ejemplo.ipynb"
    assert time.localtime(newer.stat().st_mtime)[:6] == (2026, 3, 2, 9, 30, 0)
    assert older.stat().st_mtime < newer.stat().st_mtime
