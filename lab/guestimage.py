"""Which guest image each VM runs on (lab/images.py builds them): the lab's, recorded at `up`, and each VM's,
recorded in its vm.json (a clone's is its original's: a copy of the disk runs on the same tree)."""

from __future__ import annotations

from pathlib import Path

from lab.base import LabError, LabUnavailable
from lab.images import DEFAULT_IMAGE, ImageError, get_image, image_root, require_image


class GuestImages:
    """The lab's and each VM's guest image (a mixin of lab.core.Lab)."""

    @property
    def image(self) -> str:
        """The image the lab's VMs are made on (`lab up --image`; default: this machine's own tree)."""
        return self._lab_state().get("image", DEFAULT_IMAGE)

    def vm_image(self, vm: str) -> str:
        return self.vm_config(vm).get("image", DEFAULT_IMAGE)

    def vm_root(self, vm: str) -> Path:
        """The tree under the VM's disk: `/` (this machine's) or a built image's rootfs."""
        return image_root(self.vm_image(vm))

    def _check_image(self, name: str) -> None:
        """Before `up`: the image exists and is built (else how to build it)."""
        try:
            get_image(name)
            require_image(name)
        except ImageError as exc:
            raise (LabUnavailable if "not built" in str(exc) or "out of date" in str(exc) else LabError)(
                str(exc)) from None
