# berth: the two commands of the README, and the steps behind them.
#   make run   - install what is missing, build, run a demo container
#   make test  - install what is missing, build, run every test (with the
#                podman, rootless podman, containerd and docker suites of
#                tests/clients/)
#   make lint  - clang-format, shellcheck, cppcheck and clang-tidy
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DBERTH_WERROR=ON

# make fuzz runs each libFuzzer harness this long; make test, briefly.
FUZZ_SECONDS ?= 60
FUZZ_SHORT_SECONDS ?= 5

# make install: a release build (no crash points, no tests) installed under
# $(DESTDIR)$(PREFIX): berth, berth-shim, libberth (.so, header, .pc), the man
# pages and the bash and zsh completion.
PREFIX ?= /usr/local
RELEASE ?= build-release
# Debian's multiarch library directory under /usr, lib elsewhere.
LIBDIR ?= $(if $(filter /usr,$(PREFIX)),lib/$(shell gcc -print-multiarch),lib)

.PHONY: all deps build run test lint vm-image test-asan test-v2 fuzz unit integration clients bench clean install deb windows windows-test

all: build

deps:
	@scripts/deps.sh

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/Makefile
	$(MAKE) -C $(BUILD) -j$(JOBS) --no-print-directory

run: deps build
	@scripts/demo.sh $(BUILD)

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j1
	JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_SHORT_SECONDS)

# Formatting, shellcheck, cppcheck and clang-tidy (scripts/lint.sh), each
# failing on any finding; `scripts/lint.sh CHECK` runs one of them.
lint: deps
	JOBS=$(JOBS) scripts/lint.sh

# The unit and integration tests with berth and the tests built under
# AddressSanitizer and UndefinedBehaviorSanitizer (not the runc and
# no-openat2 reruns of the same scenarios: 4 minutes there, nothing new).
# CMAKE_CXX_FLAGS reach the C++ links too; the probe (C, static, run inside
# containers) stays plain.
test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBERTH_WERROR=ON -DBERTH_STATIC=OFF \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	  -DCMAKE_EXE_LINKER_FLAGS="" >/dev/null
	$(MAKE) -C build-asan -j$(JOBS) --no-print-directory
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j1 -LE 'clients|differential|no_openat2'

# Each libFuzzer harness (tests/fuzz) for FUZZ_SECONDS, built with clang.
fuzz: deps
	JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_SECONDS)

# The cgroup v2 tests on a pure cgroup v2 host: a QEMU microvm (see scripts/test-v2.sh).
# The utility VM's kernel and initramfs, in $(BUILD)/vm (make build makes them
# for the tests too).
vm-image: deps build
	$(MAKE) -C $(BUILD) --no-print-directory vm_image

test-v2: deps build
	@scripts/deps.sh qemu-system-x86
	scripts/test-v2.sh $(BUILD)

unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

integration: build
	cd $(BUILD) && ctest --output-on-failure -L integration

# podman (as root and as an ordinary user), containerd and docker drive berth
# (also part of `make test`); RUNTIME=/usr/sbin/runc checks the scenarios
# themselves. A suite whose client is missing says so and is skipped (exit 77).
RUNTIME ?= $(BUILD)/berth
clients: build
	@rc=0; for c in podman podman-rootless containerd docker; do \
	  tests/clients/$$c.sh $(RUNTIME) || [ $$? = 77 ] || rc=1; done; exit $$rc

# berth, crun and runc side by side, berth's shim beside conmon, then
# containerd-shim-berth-v2 beside containerd-shim-runc-v2; the
# tables go to docs/performance.md.
bench:
	@scripts/deps.sh runc crun python3 conmon
	cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DBERTH_TESTS=OFF >/dev/null
	$(MAKE) -C $(RELEASE) -j$(JOBS) --no-print-directory berth berth-shim containerd-shim-berth-v2
	cc -O2 -o build-release/rusage bench/rusage.c
	python3 bench/bench.py --write $(BENCH_ARGS)
	python3 bench/shim.py --write $(SHIM_BENCH_ARGS)
	python3 bench/containerd_shim.py --write $(CONTAINERD_BENCH_ARGS)

# The Windows build (cmake/windows): berth.exe and libberth.a (src/windows
# over the HCS calls of src/platform/hcs/system.cc), the HCS translation's tests
# (berth_hcs_tests.exe) and the stand-in computecore.dll and vmcompute.dll
# with their tests, cross-compiled with Debian's mingw-w64 (docs/design.md,
# "Windows (HCS)").
WINDOWS_BUILD ?= build-windows
windows:
	@scripts/deps.sh g++-mingw-w64-x86-64-posix
	cmake -S cmake/windows -B $(WINDOWS_BUILD) -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/mingw-w64-x86_64.cmake >/dev/null
	$(MAKE) -C $(WINDOWS_BUILD) -j$(JOBS) --no-print-directory

# The Windows programs under Wine (Debian's wine64), in a Wine prefix of
# its own under the build directory: the translation's tests, the stand-in's,
# libberth's and berth.exe's lifecycle against the stand-in (tests/windows).
# libberth's test output goes through a file: the shims it starts inherit
# the test's stdio. The wineserver goes with the run.
WINE = WINEPREFIX=$(CURDIR)/$(WINDOWS_BUILD)/wine WINEDEBUG=-all /usr/lib/wine/wine64
windows-test: windows
	@scripts/deps.sh wine64 python3
	@# A persistent wineserver: one that quits between two programs can drop
	@# the next one's connection. Killed below, whatever the tests did.
	mkdir -p $(WINDOWS_BUILD)/wine
	WINEPREFIX=$(CURDIR)/$(WINDOWS_BUILD)/wine /usr/lib/wine/wineserver64 -p </dev/null >/dev/null 2>&1
	$(WINE) $(WINDOWS_BUILD)/berth_hcs_tests.exe && $(WINE) $(WINDOWS_BUILD)/berth_hcs_standin_tests.exe && \
	  (cd $(WINDOWS_BUILD) && $(WINE) ./berth_library_windows_tests.exe >library-tests.log 2>&1 || \
	   { cat library-tests.log; false; }) && tail -1 $(WINDOWS_BUILD)/library-tests.log && \
	  python3 tests/windows/lifecycle_test.py $(WINDOWS_BUILD); \
	  rc=$$?; WINEPREFIX=$(CURDIR)/$(WINDOWS_BUILD)/wine /usr/lib/wine/wineserver64 -k; exit $$rc

$(RELEASE)/Makefile:
	cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DBERTH_TESTS=OFF -DBERTH_WERROR=ON >/dev/null

install: deps $(RELEASE)/Makefile
	cmake -S . -B $(RELEASE) -DCMAKE_INSTALL_PREFIX="$(PREFIX)" -DCMAKE_INSTALL_LIBDIR="$(LIBDIR)" >/dev/null
	$(MAKE) -C $(RELEASE) -j$(JOBS) --no-print-directory
	DESTDIR="$(DESTDIR)" cmake --install $(RELEASE) --prefix "$(PREFIX)" --strip

# berth_<version>_<arch>.deb from `make install` under /usr (scripts/deb.sh);
# tests/deb_test.sh installs it with apt, uses it and removes it (CI).
deb: deps
	@scripts/deb.sh

clean:
	rm -rf $(BUILD) $(RELEASE) build-asan build-fuzz $(WINDOWS_BUILD) demo berth_*.deb
