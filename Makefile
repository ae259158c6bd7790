# vfiohost: build, test, demo, bench, install.  See README.md.
BUILD ?= build
STATIC ?= 1
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
LIBDIR ?= $(PREFIX)/lib
DATADIR ?= $(PREFIX)/share
# The agent always reads /etc/vfiohost.conf, and the generators look for their hooks
# only in /usr/lib/dracut and /usr/share/initramfs-tools, whatever PREFIX is.
SYSCONFDIR ?= /etc
DESTDIR ?=

.DEFAULT_GOAL := all

include agent/libkmod/libkmod.mk

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Werror=implicit-function-declaration -Wno-format-nonliteral
CSTD := -std=c11 -D_GNU_SOURCE
AGENT_SRCS := $(wildcard agent/*.c)
AGENT_HDRS := $(wildcard agent/*.h)
CORE_SRCS := $(filter-out agent/main.c,$(AGENT_SRCS))

ifeq ($(STATIC),1)
CC_AGENT := $(MUSL_CC)
AGENT_CFLAGS := $(CSTD) -Os $(WARN) -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables $(LIBKMOD_CFLAGS)
# No unwind tables, build id or code-page padding: size matters in an initramfs.
AGENT_LDFLAGS := -static $(LIBKMOD_LDFLAGS) -Wl,--build-id=none -Wl,-z,noseparate-code -s
AGENT_LIBS := $(LIBKMOD_A)
AGENT_DEPS := $(LIBKMOD_A) $(LIBKMOD_H) | $(KHEADERS)
# An ASCII fnmatch in place of musl's, which pulls in 15 KB of wide-character tables.
AGENT_STATIC_SRCS := agent/musl/fnmatch.c
else
CC_AGENT := $(CC)
AGENT_CFLAGS := $(CSTD) -O2 $(WARN) $(shell pkg-config --cflags libkmod 2>/dev/null)
AGENT_LDFLAGS :=
AGENT_LIBS := $(shell pkg-config --libs libkmod 2>/dev/null || echo -lkmod)
AGENT_DEPS :=
endif

all: build-deps $(BUILD)/vfiohost

# Installs (as root) or names (otherwise) the Debian packages the build needs.
build-deps:
	@sh tests/deps.sh build

$(BUILD)/vfiohost: $(AGENT_SRCS) $(AGENT_HDRS) agent/musl/fnmatch.c $(AGENT_DEPS)
	@mkdir -p $(@D)
	$(CC_AGENT) $(AGENT_CFLAGS) -o $@ $(AGENT_SRCS) $(AGENT_STATIC_SRCS) $(AGENT_LDFLAGS) $(AGENT_LIBS)

# Development build: glibc, -Werror, AddressSanitizer and UBSan.
DEV_CFLAGS := $(CSTD) -O1 -g $(WARN) -Werror -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all
$(BUILD)/dev/vfiohost: $(AGENT_SRCS) $(AGENT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DEV_CFLAGS) -o $@ $(AGENT_SRCS) -lkmod

# For valgrind (memcheck): glibc, no sanitizers, debug info.
$(BUILD)/vg/vfiohost: $(AGENT_SRCS) $(AGENT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CSTD) -O1 -g $(WARN) -Werror -o $@ $(AGENT_SRCS) -lkmod

$(BUILD)/dev/unit: $(CORE_SRCS) $(AGENT_HDRS) tests/unit/*.c tests/unit/*.h agent/musl/fnmatch.c
	@mkdir -p $(@D)
	$(CC) $(DEV_CFLAGS) -Iagent -o $@ tests/unit/*.c $(CORE_SRCS) -lkmod

deps:
	sh tests/deps.sh all

test:
	sh tests/deps.sh test e2e
	$(MAKE) all $(BUILD)/dev/vfiohost $(BUILD)/dev/unit $(BUILD)/vg/vfiohost
	sh tests/run.sh $(BUILD)

demo:
	sh tests/deps.sh e2e
	$(MAKE) all
	bash tests/e2e/demo.sh $(BUILD)/vfiohost

bench:
	sh tests/deps.sh bench e2e
	$(MAKE) all
	bash bench/run.sh $(BUILD)

FUZZ_SECONDS ?= 300
fuzz:
	sh tests/deps.sh test
	sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS)

format-check:
	clang-format --dry-run --Werror agent/*.c agent/*.h agent/musl/*.c

DRACUTDIR ?= /usr/lib/dracut/modules.d/90vfiohost
ITDIR ?= /usr/share/initramfs-tools
HOOKDIR ?= $(LIBDIR)/vfiohost
# Example policies (the HGX models), beside the package's other documentation.
EXAMPLEDIR ?= $(DATADIR)/doc/vfiohost/examples
EXAMPLES := $(wildcard docs/examples/*.conf)
# The generator hooks look for the agent and the boot hook under this prefix.
SET_PREFIX := sed 's|^vfiohost_prefix=.*|vfiohost_prefix=$(PREFIX)|'
# systemd's own unit folder (/lib/systemd/system on Debian 12, /usr/lib/systemd/system on 13).
SYSTEMDUNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || \
	echo /usr/lib/systemd/system)

install: $(BUILD)/vfiohost
	install -D -m 0755 $(BUILD)/vfiohost $(DESTDIR)$(SBINDIR)/vfiohost
	install -D -m 0755 hook/vfiohost-boot $(DESTDIR)$(HOOKDIR)/vfiohost-boot
	install -d $(DESTDIR)$(DRACUTDIR) $(DESTDIR)$(ITDIR)/hooks $(DESTDIR)$(ITDIR)/scripts/init-top
	$(SET_PREFIX) dracut-module/module-setup.sh >$(DESTDIR)$(DRACUTDIR)/module-setup.sh
	install -m 0755 dracut-module/vfiohost-pre-udev.sh $(DESTDIR)$(DRACUTDIR)/
	install -m 0644 dracut-module/vfiohost-modules-load.conf $(DESTDIR)$(DRACUTDIR)/
	chmod 0755 $(DESTDIR)$(DRACUTDIR)/module-setup.sh
	$(SET_PREFIX) initramfs-tools/hooks/vfiohost >$(DESTDIR)$(ITDIR)/hooks/vfiohost
	chmod 0755 $(DESTDIR)$(ITDIR)/hooks/vfiohost
	install -m 0755 initramfs-tools/scripts/init-top/00-vfiohost $(DESTDIR)$(ITDIR)/scripts/init-top/
	install -D -m 0644 docs/vfiohost.8 $(DESTDIR)$(MANDIR)/man8/vfiohost.8
	install -D -m 0644 docs/vfiohost.conf.5 $(DESTDIR)$(MANDIR)/man5/vfiohost.conf.5
	$(SET_PREFIX) docs/systemd/vfiohost-metrics >$(DESTDIR)$(HOOKDIR)/vfiohost-metrics
	chmod 0755 $(DESTDIR)$(HOOKDIR)/vfiohost-metrics
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@prefix@|$(PREFIX)|g' docs/systemd/vfiohost-metrics.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/vfiohost-metrics.service
	install -m 0644 docs/systemd/vfiohost-metrics.timer docs/systemd/dev-hugepages1G.mount \
		$(DESTDIR)$(SYSTEMDUNITDIR)/
	sed 's|@prefix@|$(PREFIX)|g' docs/systemd/vfiohost-topup.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/vfiohost-topup.service
	install -D -m 0644 docs/completion/vfiohost \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/vfiohost
	install -d $(DESTDIR)$(EXAMPLEDIR)
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(EXAMPLEDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/vfiohost.conf ] || \
		install -D -m 0644 docs/vfiohost.conf.example $(DESTDIR)$(SYSCONFDIR)/vfiohost.conf

# The policy in /etc is the admin's: uninstall leaves it.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vfiohost $(DESTDIR)$(HOOKDIR)/vfiohost-boot \
		$(DESTDIR)$(DRACUTDIR)/module-setup.sh $(DESTDIR)$(DRACUTDIR)/vfiohost-pre-udev.sh \
		$(DESTDIR)$(DRACUTDIR)/vfiohost-modules-load.conf \
		$(DESTDIR)$(ITDIR)/hooks/vfiohost $(DESTDIR)$(ITDIR)/scripts/init-top/00-vfiohost \
		$(DESTDIR)$(MANDIR)/man8/vfiohost.8 $(DESTDIR)$(MANDIR)/man5/vfiohost.conf.5 \
		$(DESTDIR)$(HOOKDIR)/vfiohost-metrics $(DESTDIR)$(SYSTEMDUNITDIR)/vfiohost-metrics.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/vfiohost-metrics.timer \
		$(DESTDIR)$(SYSTEMDUNITDIR)/vfiohost-topup.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/dev-hugepages1G.mount \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/vfiohost \
		$(addprefix $(DESTDIR)$(EXAMPLEDIR)/,$(notdir $(EXAMPLES)))
	-rmdir $(DESTDIR)$(DRACUTDIR) $(DESTDIR)$(HOOKDIR) $(DESTDIR)$(EXAMPLEDIR) 2>/dev/null

clean:
	rm -rf $(BUILD)/vfiohost $(BUILD)/dev $(BUILD)/vg $(BUILD)/tests

.PHONY: all build-deps deps test demo bench fuzz format-check install uninstall clean
