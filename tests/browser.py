"""Headless Chromium for the tests that open the kit's HTML in a real browser (the class report,
the exercise's last cell); skips, saying what to install, when no Chromium is on PATH."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip("no chromium on PATH: install Debian's `chromium` (scripts/setup-system.sh "
                "does) to open the kit's HTML in a real browser")


def headless(*args: str) -> subprocess.CompletedProcess:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-dev-shm-usage",
               "--no-first-run", "--hide-scrollbars", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
