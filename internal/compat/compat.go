// Package compat keeps the Lambda binary within what Amazon Linux 2023
// provides (glibc 2.34, GLIBCXX_3.4.29). The bootstrap links libstdc++
// statically (scripts/build-bootstrap.sh), but Debian 12's libstdc++.a was
// built against glibc 2.36 and its std::random_device calls arc4random,
// which glibc only has from 2.36. Defining arc4random here, on getrandom(2)
// (glibc 2.25), lets the static libstdc++ bind to this one, so the binary
// needs no glibc newer than 2.34. It is a correct arc4random — the kernel's
// CSPRNG — and harmless in builds that do not need it.
package compat

/*
#include <stdint.h>
#include <sys/random.h>

uint32_t arc4random(void) {
	uint32_t v;
	while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
	}
	return v;
}
*/
import "C"
