//go:build !race

package main

// raceBuild is true when the test binary is built with -race; the crash
// test builds hostd the same way, so that the build reuses the test's
// compiled packages.
const raceBuild = false
