"""Production settings that take a few seconds to load once the file named by
``SLOW_BOOT_FLAG`` exists: the workers a reload starts are still loading while the old ones
stop (tests/robustness/test_reload_deploy.py), as on a busy machine."""

import os
import time

from huntaze.settings import *  # noqa: F403

if os.path.exists(os.environ.get("SLOW_BOOT_FLAG", "/nonexistent")):
    time.sleep(6)
