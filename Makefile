# berth: the two commands of the README, and the steps behind them.
#   make run   - install what is missing, build, run a demo container
#   make test  - install what is missing, build, run every test
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DBERTH_WERROR=ON

.PHONY: all deps build run test unit integration clean

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

unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

integration: build
	cd $(BUILD) && ctest --output-on-failure -L integration

clean:
	rm -rf $(BUILD) demo
