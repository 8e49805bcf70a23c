# apxs.mk - build mod_wormreply, the wormreply CLI and the unit tests
#
#   make -f apxs.mk              module + CLI + unit tests, on every core
#   make -f apxs.mk test         everything (also the ASan/UBSan unit tests),
#                                then the whole suite under prove
#   make -f apxs.mk install      module, CLI, conf snippets (a2enmod wormreply),
#                                man pages
#   make -f apxs.mk uninstall    remove what install put in place
#   make -f apxs.mk fuzz         the libFuzzer targets (clang), t/fuzz/
#
# The core (mod_wormreply/wr_*.c) is built once into build/libwr.a and linked
# into the module, the CLI and every unit test.

APXS        ?= apxs
CC          ?= gcc
CFLAGS      ?= -O2 -g
PKG_CONFIG  ?= pkg-config
DESTDIR     ?=
PREFIX      ?= /usr/local

WARN        := -Wall -Wextra -Werror
APR_CFLAGS  := $(shell apr-1-config --cflags --cppflags --includes) \
               $(shell apu-1-config --includes)
APR_LIBS    := $(shell apr-1-config --link-ld --libs) $(shell apu-1-config --link-ld)
DEP_PKGS    := libpcre2-8 libcares libpsl zlib libesmtp-1.0 openssl hiredis
DEP_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(DEP_PKGS))
DEP_LIBS    := $(shell $(PKG_CONFIG) --libs $(DEP_PKGS))
# jansson reads JSON in the CLI (and its tests), GMime 3 the bounces of
# notices (wormreply bounce), libm serves the report's estimates; httpd
# links none of them
CLI_PKGS    := jansson gmime-3.0
CLI_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(CLI_PKGS))
CLI_LIBS    := $(shell $(PKG_CONFIG) --libs $(CLI_PKGS)) -lm

B           := build
# Hidden visibility: inside mod_wormreply.so the glue then calls the core
# directly, not through the PLT (measured: ~15 instructions a request),
# and no core symbol can clash with another module's.
CORE_CFLAGS := -std=gnu11 $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden \
               $(APR_CFLAGS) $(DEP_CFLAGS) $(CLI_CFLAGS) -Imod_wormreply
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer

CORE_SRC    := $(sort $(wildcard mod_wormreply/wr_*.c))
CORE_HDR    := $(wildcard mod_wormreply/*.h)
CORE_OBJ    := $(patsubst mod_wormreply/%.c,$(B)/%.o,$(CORE_SRC)) $(B)/wr_builtin_sigs.o
SAN_OBJ     := $(patsubst mod_wormreply/%.c,$(B)/san/%.o,$(CORE_SRC)) $(B)/san/wr_builtin_sigs.o
LIBWR       := $(B)/libwr.a
LIBWR_SAN   := $(B)/san/libwr.a

# TLS descriptors (x86-64): the request path's one thread-local costs a
# few instructions instead of a __tls_get_addr call, and a dlopen'ed module
# still falls back to dynamic TLS when no static TLS is left.
comma       := ,
TLS_DIALECT := $(if $(filter x86_64,$(shell uname -m)),-Wc$(comma)-mtls-dialect=gnu2)
GLUE_SRC    := $(sort $(wildcard mod_wormreply/mod_wormreply*.c))
MODULE      := mod_wormreply/.libs/mod_wormreply.so
CLI         := tools/wormreply

UNIT_SRC    := $(sort $(wildcard t/unit/test_*.c))
UNIT_BIN    := $(patsubst t/unit/%.c,$(B)/unit/%,$(UNIT_SRC))
UNIT_SAN    := $(patsubst t/unit/%.c,$(B)/unit-san/%,$(UNIT_SRC))

.PHONY: all module cli unit unit-san doc test install uninstall clean fuzz lint
all: module cli unit doc

# A plain "make -f apxs.mk" (the README's first command) uses every core;
# an explicit -j wins.
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS   += -j$(shell nproc 2>/dev/null || echo 2)
endif

# the directives' manual page, made from the README's directive list
MAN8        := $(B)/mod_wormreply.8
WR_VERSION  := $(shell sed -n 's/^\#define WR_VERSION "\(.*\)"/\1/p' mod_wormreply/wr_version.h)
doc: $(MAN8)
$(MAN8): README.md scripts/gen-directives-man.pl mod_wormreply/wr_version.h | $(B)
	perl scripts/gen-directives-man.pl README.md $(WR_VERSION) > $@.tmp && mv $@.tmp $@

$(B) $(B)/san $(B)/unit $(B)/unit-san $(B)/fuzz:
	mkdir -p $@

$(B)/wr_builtin_sigs.c: conf/signatures.conf scripts/gen-builtin-sigs.sh | $(B)
	sh scripts/gen-builtin-sigs.sh $< > $@.tmp && mv $@.tmp $@

$(B)/%.o: mod_wormreply/%.c $(CORE_HDR) apxs.mk | $(B)
	$(CC) $(CORE_CFLAGS) -c $< -o $@
$(B)/wr_builtin_sigs.o: $(B)/wr_builtin_sigs.c $(CORE_HDR)
	$(CC) $(CORE_CFLAGS) -c $< -o $@
$(LIBWR): $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/san/%.o: mod_wormreply/%.c $(CORE_HDR) apxs.mk | $(B)/san
	$(CC) $(CORE_CFLAGS) $(SAN_FLAGS) -c $< -o $@
$(B)/san/wr_builtin_sigs.o: $(B)/wr_builtin_sigs.c $(CORE_HDR) | $(B)/san
	$(CC) $(CORE_CFLAGS) $(SAN_FLAGS) -c $< -o $@
$(LIBWR_SAN): $(SAN_OBJ)
	rm -f $@ && ar rcs $@ $^

module: $(MODULE)
$(MODULE): $(GLUE_SRC) $(CORE_HDR) $(LIBWR) apxs.mk
	$(APXS) -c -o mod_wormreply/mod_wormreply.la \
	    -Wc,-std=gnu11 -Wc,-Wall -Wc,-Wextra -Wc,-Werror -Imod_wormreply \
	    $(TLS_DIALECT) \
	    $(DEP_CFLAGS) $(GLUE_SRC) $(LIBWR) $(DEP_LIBS)

CLI_SRC     := tools/wormreply.c $(sort $(wildcard tools/cmd_*.c tools/cli_*.c))
CLI_HDR     := $(wildcard tools/*.h)
cli: $(CLI)
$(CLI): $(CLI_SRC) $(CLI_HDR) $(CORE_HDR) $(LIBWR)
	$(CC) $(CORE_CFLAGS) -Itools $(CLI_SRC) -o $@ $(LDFLAGS) $(LIBWR) $(DEP_LIBS) $(CLI_LIBS) $(APR_LIBS)

# The ASan/UBSan twins of the unit tests double the build; the suite
# (make test) builds and runs them, a plain build does not.
unit: $(UNIT_BIN)
unit-san: $(UNIT_SAN)
$(B)/unit/%: t/unit/%.c $(wildcard t/unit/*.h) $(CORE_HDR) $(LIBWR) | $(B)/unit
	$(CC) $(CORE_CFLAGS) -It/unit $< -o $@ $(LIBWR) $(DEP_LIBS) $(CLI_LIBS) $(APR_LIBS)
$(B)/unit-san/%: t/unit/%.c $(wildcard t/unit/*.h) $(CORE_HDR) $(LIBWR_SAN) | $(B)/unit-san
	$(CC) $(CORE_CFLAGS) $(SAN_FLAGS) -It/unit $< -o $@ $(LIBWR_SAN) $(DEP_LIBS) $(CLI_LIBS) $(APR_LIBS)

# libFuzzer targets, one per t/fuzz/fuzz_<name>.c (Debian's clang): the
# core is built once more with coverage instrumentation and ASan/UBSan
# (build/fuzz/libwr.a); every UBSan finding stops the run, as in the unit
# tests. t/fuzz.t runs each briefly, bench/fuzz.sh for as long as asked.
FUZZ_RUNS   ?= 200000
FUZZ_SRC    := $(sort $(wildcard t/fuzz/fuzz_*.c))
FUZZ_BIN    := $(patsubst t/fuzz/%.c,$(B)/%,$(FUZZ_SRC))
FUZZ_CFLAGS := -std=gnu11 -g -O1 $(WARN) -fsanitize=address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer \
               $(APR_CFLAGS) $(DEP_CFLAGS) $(CLI_CFLAGS) -Imod_wormreply
FUZZ_OBJ    := $(patsubst mod_wormreply/%.c,$(B)/fuzz/%.o,$(CORE_SRC)) \
               $(B)/fuzz/wr_builtin_sigs.o
LIBWR_FUZZ  := $(B)/fuzz/libwr.a
fuzz: $(FUZZ_BIN)
$(B)/fuzz/%.o: mod_wormreply/%.c $(CORE_HDR) | $(B)/fuzz
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(B)/fuzz/wr_builtin_sigs.o: $(B)/wr_builtin_sigs.c $(CORE_HDR) | $(B)/fuzz
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(LIBWR_FUZZ): $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^
$(B)/fuzz_%: t/fuzz/fuzz_%.c t/fuzz/fuzz-lib.h $(CORE_HDR) $(LIBWR_FUZZ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -It/fuzz $< -o $@ \
	    $(LIBWR_FUZZ) $(DEP_LIBS) $(CLI_LIBS) $(APR_LIBS)

test: all unit-san fuzz
	FUZZ_RUNS=$(FUZZ_RUNS) sh t/run-tests.sh

# cppcheck over the project's C; varFuncNullUB is APR's documented NULL
# sentinel of apr_pstrcat and friends. The system headers stay out of its
# view (-I/usr/include makes it trip over libc and OpenSSL internals and
# then skip whole files); AF_UNIX is what apr_network_io.h asks of them.
lint:
	cppcheck --enable=warning,style,performance --quiet --error-exitcode=1 \
	    --suppress=varFuncNullUB --suppress=toomanyconfigs -DAF_UNIX=1 \
	    -Imod_wormreply $(filter-out -I/usr/include,$(APR_CFLAGS)) \
	    mod_wormreply/*.c tools/*.c

MODDIR  := $(shell $(APXS) -q LIBEXECDIR)
CONFDIR := $(shell $(APXS) -q SYSCONFDIR)
MANDIR  := $(PREFIX)/share/man
install: module cli doc
	install -d $(DESTDIR)$(MODDIR) $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(CONFDIR)/mods-available \
	    $(DESTDIR)$(CONFDIR)/conf-available $(DESTDIR)$(PREFIX)/share/wormreply \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 644 $(MODULE) $(DESTDIR)$(MODDIR)/mod_wormreply.so
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/wormreply
	install -m 644 conf/wormreply.load conf/wormreply.conf \
	    $(DESTDIR)$(CONFDIR)/mods-available/
	install -m 644 conf/wormreply-status.conf $(DESTDIR)$(CONFDIR)/conf-available/
	install -m 644 conf/signatures.conf conf/notice.tmpl \
	    $(DESTDIR)$(PREFIX)/share/wormreply/
	install -m 644 doc/wormreply.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/

# Removes what install put in place; the state (the spool and the outbox
# under /var/lib/apache2/wormreply) and the enabled links are the admin's:
# a2dismod wormreply / a2disconf wormreply-status first (the README says so).
uninstall:
	rm -f $(DESTDIR)$(MODDIR)/mod_wormreply.so \
	    $(DESTDIR)$(PREFIX)/bin/wormreply \
	    $(DESTDIR)$(CONFDIR)/mods-available/wormreply.load \
	    $(DESTDIR)$(CONFDIR)/mods-available/wormreply.conf \
	    $(DESTDIR)$(CONFDIR)/conf-available/wormreply-status.conf \
	    $(DESTDIR)$(PREFIX)/share/wormreply/signatures.conf \
	    $(DESTDIR)$(PREFIX)/share/wormreply/notice.tmpl \
	    $(DESTDIR)$(MANDIR)/man1/wormreply.1 \
	    $(DESTDIR)$(MANDIR)/man8/mod_wormreply.8
	-rmdir $(DESTDIR)$(PREFIX)/share/wormreply 2>/dev/null

clean:
	rm -rf $(B) mod_wormreply/.libs mod_wormreply/*.la mod_wormreply/*.lo \
	    mod_wormreply/*.slo mod_wormreply/*.o $(CLI)
