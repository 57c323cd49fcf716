# Sanad — build, run, test. `make` builds build/sanad; `make run` serves the demo; `make test`
# runs the whole suite (unit + API on SQLite and PostgreSQL); `make asan` the same under
# AddressSanitizer + UBSan; `make bench` prints the benchmarks; `make lint` bans footguns.

CC ?= cc
BUILD ?= build
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
PKGS := libmicrohttpd jansson sqlite3 libpq libsodium icu-uc icu-i18n libcurl libcrypto md4c-html \
	gmime-3.0 gumbo libmagic
# wslay (WebSocket framing): Debian's libwslay-dev ships no .pc file, so fall back to -lwslay.
WSLAY_LIBS := $(shell pkg-config --libs libwslay 2>/dev/null || echo -lwslay)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wformat-security -Werror -Wshadow -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Isrc -I$(BUILD)/gen \
	-DSANAD_VERSION='"$(VERSION)"' -MMD -MP
# libstemmer (Snowball stemmers for search) ships no .pc file either.
LDLIBS := $(PKG_LIBS) $(WSLAY_LIBS) -lstemmer -lpthread -lm

SRC := $(wildcard src/*.c src/*/*.c src/channels/*/*.c)
OBJ := $(SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/migrations.o $(BUILD)/obj/gen/templates.o
LIB_OBJ := $(filter-out $(BUILD)/obj/src/main.o,$(OBJ))
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
# Portal templates, strings and assets (templates/), embedded into the binary like migrations:
# a server started from any directory has its pages, and a broken template fails the start.
TEMPLATE_FILES := $(sort $(shell find templates -type f ! -name '.*' 2>/dev/null))

UNIT_SRC := $(wildcard tests/unit/*/*.c tests/unit/*.c)
UNIT_BIN := $(addprefix $(BUILD)/tests/unit/,$(subst /,-,$(patsubst tests/unit/%.c,%,$(UNIT_SRC))))

.PHONY: all run test asan bench lint clean deps web
all: $(BUILD)/sanad unit

# The agent web app: web/ → web/dist (Vite), served by `sanad serve` under /app/. Part of `all`
# only where the JavaScript tooling is installed (scripts/bootstrap runs npm ci); without it
# `make` builds just the C binary.
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.mts
ifneq ($(and $(wildcard node_modules/.bin/vite),$(wildcard web/index.html)),)
all: web
endif
web: web/dist/index.html
web/dist/index.html: $(WEB_SRC) package-lock.json
	@echo "  VITE    web/dist"
	@npm run --silent build -- --logLevel warn

$(BUILD)/sanad: $(OBJ)
	@echo "  LINK    $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(LDFLAGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/migrations.c: $(MIGRATIONS) scripts/embed-sql
	@mkdir -p $(dir $@)
	scripts/embed-sql $@ $(MIGRATIONS)

$(BUILD)/gen/templates.c: $(TEMPLATE_FILES) scripts/embed-files
	@mkdir -p $(dir $@)
	@echo "  EMBED   templates"
	@scripts/embed-files $@ templates $(TEMPLATE_FILES)

$(BUILD)/obj/gen/templates.o: $(BUILD)/gen/templates.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/gen/migrations.o: $(BUILD)/gen/migrations.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Unit tests: tests/unit/<module>/<name>.c → build/tests/unit/<module>-<name>, linked with
# everything but main.c and cmocka.
.PHONY: unit
unit: $(UNIT_BIN)
$(BUILD)/tests/unit/%: $(LIB_OBJ) $(UNIT_SRC)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALL_CFLAGS) -o $@ tests/unit/$(subst -,/,$*).c $(LIB_OBJ) $(LDLIBS) -lcmocka

deps:
	scripts/bootstrap

run: deps $(BUILD)/sanad
	@$(MAKE) --no-print-directory web
	scripts/run-demo

test: $(BUILD)/sanad unit
	tests/run

asan:
	$(MAKE) BUILD=build/asan CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
	SANAD_BIN=build/asan/sanad SANAD_UNIT_DIR=build/asan/tests/unit \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run

bench: $(BUILD)/sanad
	bench/http.sh

lint:
	scripts/lint

clean:
	rm -rf build build-fuzz web/dist

-include $(OBJ:.o=.d)

# Fuzzing (fuzz/README.md): `make fuzz` builds one libFuzzer binary per fuzz/*.c into
# build-fuzz/fuzz/, linked with the server's own objects rebuilt with clang under
# -fsanitize=fuzzer-no-link,address,undefined; `make fuzz-run FUZZ_SECONDS=60` runs each in turn
# (nice'd) from its committed corpus and fails on a crash; `make fuzz-check` runs each once over
# its committed corpus only (a regression check of seconds).
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard fuzz/*.c)
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
.PHONY: fuzz fuzz-bins fuzz-run fuzz-check
fuzz:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang CFLAGS="$(FUZZ_CFLAGS)" fuzz-bins
fuzz-bins: $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
$(BUILD)/fuzz/%: fuzz/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(LDLIBS)
fuzz-run: fuzz
	fuzz/run $(FUZZ_SECONDS)
fuzz-check: fuzz
	fuzz/run 0
