# Two commands for a fresh machine: `make demo` (the main job on the bundled model) and
# `make test` (every test). Both install missing system packages first.
SWIFT ?= swift
MODEL ?= Fixtures/models/demo-faces-64.pkl

.PHONY: deps build demo test clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

demo: build
	.build/release/stylegan inspect $(MODEL)

test: deps
	$(SWIFT) build -c release
	$(SWIFT) test

clean:
	rm -rf .build
