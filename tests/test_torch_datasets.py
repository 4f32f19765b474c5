"""ImageDataset decodes every file exactly like tlkit.data.load_rgb (EXIF, transparency, 16-bit)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from PIL import Image  # noqa: E402

from tlkit.data import load_rgb  # noqa: E402
from tlkit.torch import ImageDataset  # noqa: E402


def _exif_rotated(path):
    """A 40×20 JPEG-free PNG whose EXIF says "rotate 90°": upright it is 20×40, red on top."""
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    img.save(path, exif=exif)


def _rgba(path):
    arr = np.zeros((16, 16, 4), np.uint8)
    arr[..., 0] = 200
    arr[:8, ..., 3] = 255  # top half opaque red, bottom half fully transparent
    Image.fromarray(arr, "RGBA").save(path)


def _sixteen_bit(path):
    arr = (np.arange(16 * 16).reshape(16, 16) * 256).astype(np.uint16)  # 0 .. 65280
    Image.fromarray(arr).save(path)  # uint16: mode I;16


@pytest.mark.parametrize("make", [_exif_rotated, _rgba, _sixteen_bit], ids=["exif", "rgba", "16bit"])
def test_image_dataset_decodes_like_load_rgb(tmp_path, make):
    path = tmp_path / "img.png"
    make(path)
    expected = np.asarray(load_rgb(path))
    got = ImageDataset([(path, 0)], shorter_side=max(expected.shape[:2])).images[0]
    assert tuple(got.shape) == (3, *expected.shape[:2])
    np.testing.assert_array_equal(got.permute(1, 2, 0).numpy(), expected)


def test_what_load_rgb_promises_reaches_the_dataset(tmp_path):
    for make, name in ((_exif_rotated, "e.png"), (_rgba, "a.png"), (_sixteen_bit, "s.png")):
        make(tmp_path / name)
    ds = ImageDataset([(tmp_path / n, 0) for n in ("e.png", "a.png", "s.png")], shorter_side=64)
    exif, rgba, sixteen = (img.permute(1, 2, 0).numpy() for img in ds.images)
    assert exif.shape[:2] == (40, 20)  # turned upright: taller than wide
    assert (exif[0, 10] > [200, -1, -1]).all() and exif[0, 10, 2] < 60  # red on top after the turn
    assert (rgba[12, 8] == 255).all()  # transparent pixels over white, not black
    assert sixteen.max() == 254 and sixteen[0, 0].tolist() == [0, 0, 0]  # scaled, not clipped to 255


def test_large_images_are_shrunk_to_the_shorter_side(tmp_path):
    Image.new("RGB", (300, 200), (10, 20, 30)).save(tmp_path / "big.jpg")
    (image,) = ImageDataset([(tmp_path / "big.jpg", 1)], shorter_side=100).images
    assert tuple(image.shape) == (3, 100, 150)
