#!/bin/sh
# TEST ONLY (tests/e2e): dracut's own init (no systemd) sources this once udev has
# settled; the report ends the boot.
/usr/lib/vfiohost-e2e/e2e-report
