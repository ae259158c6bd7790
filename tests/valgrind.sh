#!/bin/sh
# vfiohost under valgrind's memcheck, as a drop-in VFIOHOST for the bats files: any memory
# error or definite leak makes the command exit 99 (which no test expects). It needs no
# PATH: a test may run the agent with an empty one.
#   VG_AGENT  the glibc build to run (default: build/vg/vfiohost of this checkout)
exec /usr/bin/valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite "${VG_AGENT:-${0%/*}/../build/vg/vfiohost}" "$@"
