"""hardencheck's test fleet: real OpenSSH hosts in namespaces on this machine.

``from fleet import Fleet`` works once ``tests/`` is on ``sys.path`` (tests/conftest.py puts it
there; a script does ``sys.path.insert(0, "<repo>/tests")``). See README.md.
"""

from .fleet import DEFAULT_KEY_CACHE, Fleet, FleetError, FleetHost
from .images import Image, ImageError, available_images, load_image

__all__ = ["DEFAULT_KEY_CACHE", "Fleet", "FleetError", "FleetHost", "Image", "ImageError",
           "available_images", "load_image"]
