#!/bin/sh
# missing_test_libs.sh -- run by "make check" instead of the C test programs
# when configure did not find the libraries they need (building and
# installing idmgr work without them).  It fails: a test that cannot run
# proves nothing, and CI installs everything (scripts/install-deps).
echo "make check: the C tests cannot be built; missing: ${IDMGR_MISSING_TEST_LIBS:-(unknown)}"
echo "make check: install them (or run scripts/install-deps), then run configure again"
exit 1
