"""The lab's guest images (lab/images.py): when one is current, stale or missing, what `lab up` is told, what
`lab down` keeps. Building one for real is the Debian 13 lab test's (tests/test_e2e_debian13.py, through the
`debian13_image` fixture)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

import lab.images as images
from lab.base import STATE
from lab.images import (
    IMAGE_LIST,
    ImageError,
    get_image,
    image_root,
    image_state,
    require_image,
    stamp,
)

ROOT = Path(__file__).resolve().parent.parent


def fake_build(folder: Path, name: str = "debian13", recipe: str | None = None) -> None:
    """What a finished build leaves: a tree and its stamp."""
    (folder / name / "rootfs/usr/bin").mkdir(parents=True)
    (folder / name / "stamp.json").write_text(json.dumps({"stamp": recipe or stamp(get_image(name))}))


def test_the_machine_tree_needs_no_build(tmp_path: Path) -> None:
    assert image_root("debian12", tmp_path) == Path("/")
    assert image_state("debian12", tmp_path) == "machine"
    assert require_image("debian12", tmp_path) == Path("/")


def test_an_image_is_missing_then_current_then_stale_when_its_recipe_changes(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert image_state("debian13", tmp_path) == "missing"
    with pytest.raises(ImageError, match=r"image debian13 is not built: run `ha-wizard lab image build debian13`"):
        require_image("debian13", tmp_path)
    fake_build(tmp_path)
    assert image_state("debian13", tmp_path) == "current"
    assert require_image("debian13", tmp_path) == tmp_path / "debian13" / "rootfs"
    # One package more: another stamp, so the built tree is out of date.
    more = dataclasses.replace(IMAGE_LIST["debian13"], packages=(*IMAGE_LIST["debian13"].packages, "vim"))
    monkeypatch.setitem(IMAGE_LIST, "debian13", more)
    assert image_state("debian13", tmp_path) == "stale"
    with pytest.raises(ImageError, match="out of date"):
        require_image("debian13", tmp_path)


def test_the_stamp_follows_the_recipe_not_the_package_order(monkeypatch: pytest.MonkeyPatch) -> None:
    image = get_image("debian13")
    assert stamp(image) == stamp(dataclasses.replace(image, packages=tuple(reversed(image.packages))))
    assert stamp(image) != stamp(dataclasses.replace(image, suite="forky"))
    before = stamp(image)
    monkeypatch.setattr(images, "BUILDER_VERSION", images.BUILDER_VERSION + 1)
    assert stamp(image) != before


def test_an_unknown_image_is_named_with_the_choices() -> None:
    with pytest.raises(ImageError, match=r"unknown image 'debian11' \(choose one of debian12, debian13\)"):
        get_image("debian11")


def test_the_builder_stands_alone_with_the_system_python() -> None:
    """scripts/install-deps.sh runs it before the venv exists: stdlib only, the lab's own state folder."""
    assert images.STATE == STATE
    res = subprocess.run(["/usr/bin/python3", "-I", str(ROOT / "lab/images.py"), "check", "debian12"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "image debian12: machine", res.stdout + res.stderr
    res = subprocess.run(["/usr/bin/python3", "-I", str(ROOT / "lab/images.py"), "build"], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 2 and "usage:" in res.stderr


def test_down_keeps_the_images_and_other_labs_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default instance's down also removes a lab of the one-lab layout (files beside instances/), never
    the images nor another instance's folders."""
    from lab import instances
    from lab.core import Lab

    state, run = tmp_path / "state", tmp_path / "run"
    monkeypatch.setattr(instances, "STATE", state)
    monkeypatch.setattr(instances, "RUN", run)
    monkeypatch.setattr(instances, "INSTANCES", state / "instances")
    for path in ("images/debian13/rootfs", "instances/other/hosts", "hosts/master/disk", "bin"):
        (state / path).mkdir(parents=True)
    for path in ("lab.json", "id_ed25519", "known_hosts", "forward-2201.log"):
        (state / path).write_text("x")
    for path in ("hosts", "other"):
        (run / path).mkdir(parents=True)
    (run / "owner").write_text("1\n")
    Lab._remove_one_lab_layout()
    assert sorted(p.name for p in state.iterdir()) == ["images", "instances"]
    assert (state / "images/debian13/rootfs").is_dir() and (state / "instances/other/hosts").is_dir()
    assert sorted(p.name for p in run.iterdir()) == ["other"]


def test_lab_image_list_says_what_is_built() -> None:
    res = subprocess.run([sys.executable, "-m", "lab", "image", "list"], capture_output=True, text=True, timeout=60,
                         cwd=ROOT)
    assert res.returncode == 0, res.stderr
    rows = {line.split()[0]: line.split()[1] for line in res.stdout.splitlines() if not line.startswith(" ")}
    assert rows["debian12"] == "machine"
    assert rows["debian13"] == image_state("debian13")
