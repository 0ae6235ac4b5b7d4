# The everyday commands. CMake does the building; see README.md.
#
#   make          build into build/ (a developer build: warnings are errors)
#   make deps     install the missing Debian packages (scripts/deps.sh)
#   make run      install what is missing, build, and serve the default
#                 board's NVMe disk over NBD
#   make check    install what is missing, build and run the whole suite:
#                 normal (gcc), then AddressSanitizer + UndefinedBehavior-
#                 Sanitizer (clang), then ThreadSanitizer (clang; all but
#                 the NBD clients)
#   make bench    run the benchmarks (prints figures beside baselines)
#   make bench-quick  one short point of each benchmark (under a minute)
#   make fuzz     build the libFuzzer targets and run each briefly
#   make fuzz-corpus  keep in tests/fuzz/corpus/ the inputs `make fuzz`
#                 found that reach code the corpus did not
#   make install  build and install under PREFIX (default /usr/local),
#                 staged under DESTDIR: headers, libcopro and libcopro-sim
#                 (shared and static), copro, the nbdkit plugin (into
#                 nbdkit's plugin directory), pkg-config and CMake files

JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
BUILD    ?= build
ASAN     ?= build-asan
TSAN     ?= build-tsan
FUZZDIR  ?= build-fuzz
FUZZ_SECONDS ?= 30
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)
PREFIX   ?= /usr/local
DESTDIR  ?=
# Extra cmake -D flags for every configure (e.g. -DCOPRO_TESTS=OFF).
CMAKE_FLAGS ?=

.PHONY: all deps build run check check-normal check-asan check-tsan bench \
	bench-quick fuzz fuzz-corpus install clean

all: build

deps:
	@bash scripts/deps.sh

# Plain `make` never runs apt-get: a missing dependency is a configure
# error that names the package (or, for nbdkit and cmocka, a message that
# the parts needing them are skipped). run, check and deps install them.
build:
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) $(CMAKE_GEN) \
		-DCMAKE_C_COMPILER=gcc -DCOPRO_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

run: deps
	@$(MAKE) --no-print-directory build
	./$(BUILD)/copro serve

check: check-normal check-asan check-tsan

check-normal: deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest $(CTEST_FLAGS)

check-asan: deps
	cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=Debug -DCOPRO_SANITIZE=ON -DCOPRO_WERROR=ON \
		$(CMAKE_FLAGS)
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest $(CTEST_FLAGS)

# The NBD client tests (and bench nbd) load the plugin into nbdkit, which
# would need the TSan runtime preloaded (copro serve preloads only ASan's);
# they run in the two builds above. Every race report fails the test it is
# in, and there are no suppressions: a report in copro's code is a bug to
# fix.
check-tsan: deps
	cmake -S . -B $(TSAN) $(CMAKE_GEN) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOPRO_TSAN=ON -DCOPRO_WERROR=ON \
		$(CMAKE_FLAGS)
	cmake --build $(TSAN) -j $(JOBS)
	cd $(TSAN) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		ctest $(CTEST_FLAGS) -E '^(clients\.|cli\.bench_nbd)'

bench: deps
	@$(MAKE) --no-print-directory build
	./$(BUILD)/copro bench mbox
	./$(BUILD)/copro bench boot
	./$(BUILD)/copro bench nvme
	./$(BUILD)/copro bench nbd
	./$(BUILD)/copro bench scmi
	./$(BUILD)/copro bench msgq

bench-quick: deps
	@$(MAKE) --no-print-directory build
	./$(BUILD)/copro bench mbox --rounds 20000 --stream 100000
	./$(BUILD)/copro bench boot --boots 20 --rounds 2000
	./$(BUILD)/copro bench nvme --quick --seconds 1
	./$(BUILD)/copro bench nbd --quick --seconds 2 --size 64M
	./$(BUILD)/copro bench scmi --rounds 20000
	./$(BUILD)/copro bench msgq --count 20000

fuzz: deps
	cmake -S . -B $(FUZZDIR) $(CMAKE_GEN) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOPRO_FUZZ=ON -DCOPRO_WERROR=ON
	cmake --build $(FUZZDIR) -j $(JOBS)
	@set -e; for f in $(FUZZDIR)/tests/fuzz/fuzz_*; do \
		[ -x "$$f" ] || continue; \
		name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
		mkdir -p $(FUZZDIR)/corpus/$$name; \
		echo "== $$name ($(FUZZ_SECONDS) s)"; \
		ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(FUZZDIR)/corpus/$$name $$( [ -d $$corpus ] && echo $$corpus ); \
	done

# libFuzzer's merge, by edges reached (not hit counts or compared
# values, which would keep hundreds of near-twins): only an input that
# reaches new code joins, named by its SHA-1. The fuzz.NAME tests then run
# it in every build.
fuzz-corpus:
	@set -e; found=0; for f in $(FUZZDIR)/tests/fuzz/fuzz_*; do \
		[ -x "$$f" ] || continue; found=1; \
		name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
		[ -d $(FUZZDIR)/corpus/$$name ] || continue; \
		mkdir -p $$corpus; before=$$(ls $$corpus | wc -l); \
		log=$(FUZZDIR)/merge-$$name.log; \
		$$f -merge=1 -use_counters=0 -use_value_profile=0 \
			$$corpus $(FUZZDIR)/corpus/$$name > $$log 2>&1 || \
			{ echo "$$name: the merge failed; see $$log" >&2; exit 1; }; \
		echo "$$name: $$before inputs, now $$(ls $$corpus | wc -l)"; \
	done; \
	[ $$found = 1 ] || { echo "no fuzz targets in $(FUZZDIR): run make fuzz first" >&2; exit 1; }

# A packager's build: no -Werror unless the build directory already was a
# developer's. The prefix is set at configure time (pkg-config and CMake
# files are relocatable all the same).
install:
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(TSAN) $(FUZZDIR)
