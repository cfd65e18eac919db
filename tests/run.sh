#!/usr/bin/env bash
# The whole test suite, as the README gives it: installs what the
# integration tests need (Dovecot, Postfix, PostgreSQL; apt-get as root
# when a package is missing), then runs every test. Each integration test
# starts its own servers on loopback high ports in a temporary directory
# and stops them; a test that cannot start them fails, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/testbed/testbed.sh install

# Integration tests each start their own servers: two at a time suits a
# 2-core machine.
cargo test --locked --no-fail-fast --all-targets -- --test-threads="${FOID_TEST_THREADS:-2}" "$@"
