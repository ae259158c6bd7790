#!/bin/sh
# TEST ONLY (tests/e2e): dracut's cmdline hook, before pre-udev: the locker first.
/usr/lib/vfiohost-e2e/vfiohost-e2e-locker
