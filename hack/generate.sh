#!/usr/bin/env bash
# Regenerates the Go code of the protobuf contracts in api/ with the
# generators pinned by go.mod and tools/go.mod, so that every machine
# produces byte-identical output.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Outputs of a renamed or deleted .proto would otherwise linger and still
# compile.
find api \( -name '*.pb.go' -o -name '*.connect.go' \) -delete

go tool -modfile=tools/go.mod buf generate
