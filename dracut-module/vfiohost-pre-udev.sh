#!/bin/sh
# dracut pre-udev hook of vfiohost. dracut sources hooks, so this only starts the
# shared entry script as its own process: nothing it does can end the caller.
[ -x /usr/lib/vfiohost/vfiohost-boot ] && /usr/lib/vfiohost/vfiohost-boot
:
