# libkmod.mk: build libkmod from Debian's kmod source package as a static
# musl library, and a kernel header folder musl-gcc can use.
#
# Included by the top Makefile, which defines BUILD (the build folder).
# For the agent it provides:
#   LIBKMOD_A       the static library to link with $(MUSL_CC) -static
#   LIBKMOD_H       the public header: make objects including it depend on it
#   LIBKMOD_CFLAGS  flags to compile code including <libkmod.h> and <linux/...>
#   LIBKMOD_LDFLAGS flags for the final link (drops the unused parts of libkmod)
#   KHEADERS        linux, asm and asm-generic from linux-libc-dev: an
#                   order-only prerequisite of objects including <linux/...>

# Rules here must not become the includer's default goal.
LIBKMOD_SAVED_GOAL := $(.DEFAULT_GOAL)

MUSL_CC ?= musl-gcc
OBJCOPY ?= objcopy
KHEADERS_SRC ?= /usr/include
KHEADERS_ARCH ?= x86_64-linux-gnu

LIBKMOD_HERE := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
# The suite whose kmod source is built: kmod 30.x, the layout LIBKMOD_SRCS and config.h
# describe, whatever the build host runs (its point releases are taken as they come: no
# version is pinned). The agent loads compressed modules through the kernel itself
# (modload.c), so a newer libkmod would add nothing it uses.
KMOD_SUITE ?= bookworm
KMOD_SRC := $(BUILD)/kmod-src/kmod
KMOD_FETCHED := $(KMOD_SRC)/libkmod/libkmod.h

KHEADERS := $(BUILD)/kheaders
LIBKMOD_A := $(BUILD)/libkmod/libkmod.a
LIBKMOD_H := $(BUILD)/libkmod/include/libkmod.h
LIBKMOD_CFLAGS := -I$(BUILD)/libkmod/include -isystem $(KHEADERS)
LIBKMOD_LDFLAGS := -Wl,--gc-sections

# The sources of upstream's libkmod.la and its libshared.la (Makefile.am).
LIBKMOD_SRCS := $(addprefix libkmod/libkmod,.c -builtin.c -list.c -config.c \
	-index.c -module.c -file.c -elf.c -signature.c) \
	$(addprefix shared/,array.c hash.c scratchbuf.c strbuf.c util.c)
LIBKMOD_OBJS := $(patsubst %.c,$(BUILD)/libkmod/%.o,$(LIBKMOD_SRCS))

# Upstream's own choices (configure.ac) plus size; its many -W flags are left
# out: this is vendored code we do not change, and the build must stay quiet.
LIBKMOD_BUILD_CFLAGS := -std=gnu11 -Os -pipe -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fvisibility=hidden -fno-common -Wall -Wno-unused-parameter \
	-include $(LIBKMOD_HERE)/config.h -I$(KMOD_SRC) -isystem $(KHEADERS)

$(KMOD_FETCHED):
	sh $(LIBKMOD_HERE)/fetch.sh -s $(KMOD_SUITE) -a $(BUILD)/apt $(BUILD)/kmod-src
	@for f in $(LIBKMOD_SRCS) libkmod/libkmod.sym; do [ -f $(KMOD_SRC)/$$f ] || { \
		echo "libkmod.mk: kmod $$(cat $(KMOD_SRC)/.debian-version) from $(KMOD_SUITE) lacks $$f:" \
			"this build knows kmod 30's layout" >&2; exit 1; }; done

$(addprefix $(KMOD_SRC)/,$(LIBKMOD_SRCS) libkmod/libkmod.sym): $(KMOD_FETCHED) ;

$(LIBKMOD_OBJS): $(BUILD)/libkmod/%.o: $(KMOD_SRC)/%.c $(LIBKMOD_HERE)/config.h \
		$(LIBKMOD_HERE)/libkmod.mk | $(KHEADERS)
	@mkdir -p $(@D)
	$(MUSL_CC) $(LIBKMOD_BUILD_CFLAGS) -c -o $@ $<

# One relocatable object keeps only the kmod_* API of libkmod.sym global, as
# the shared library's version script does: the internal helpers (hash_new,
# strbuf_str, read_str_safe...) then cannot clash with the agent's symbols.
$(LIBKMOD_A): $(LIBKMOD_OBJS) $(KMOD_SRC)/libkmod/libkmod.sym
	sed -n 's/^[[:space:]]*\(kmod_[a-z0-9_]*\);.*/\1/p' \
		$(KMOD_SRC)/libkmod/libkmod.sym >$(@D)/exports.txt
	$(MUSL_CC) -nostdlib -r -o $(@D)/libkmod-all.o $(LIBKMOD_OBJS)
	$(OBJCOPY) --keep-global-symbols=$(@D)/exports.txt $(@D)/libkmod-all.o
	rm -f $@ && $(AR) rcs $@ $(@D)/libkmod-all.o

$(LIBKMOD_H): $(KMOD_FETCHED)
	@mkdir -p $(@D)
	cp $< $@

# musl-gcc's specs drop /usr/include, so the kernel's uapi headers get their
# own folder, made whole in one step so a half-made one is never taken.
$(KHEADERS):
	@for d in $(KHEADERS_SRC)/linux $(KHEADERS_SRC)/$(KHEADERS_ARCH)/asm \
		$(KHEADERS_SRC)/asm-generic; do \
		[ -d $$d ] || { echo "libkmod.mk: missing $$d: install linux-libc-dev" >&2; \
			exit 1; }; done
	rm -rf $@.tmp && mkdir -p $@.tmp
	ln -s $(KHEADERS_SRC)/linux $(KHEADERS_SRC)/$(KHEADERS_ARCH)/asm \
		$(KHEADERS_SRC)/asm-generic $@.tmp/
	mv $@.tmp $@

.PHONY: libkmod clean-libkmod
libkmod: $(LIBKMOD_A) $(LIBKMOD_H)

# Keeps the fetched source and the private apt state: only a distclean of
# $(BUILD) needs the network again.
clean-libkmod:
	rm -rf $(BUILD)/libkmod $(KHEADERS)

.DEFAULT_GOAL := $(LIBKMOD_SAVED_GOAL)
