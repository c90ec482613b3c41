package main

import (
	"debug/elf"
	"os"
	"strconv"
	"strings"
	"testing"
)

// What public.ecr.aws/lambda/provided:al2023 offers (Amazon Linux 2023:
// glibc 2.34, gcc 11's libstdc++).
var al2023 = map[string]string{
	"GLIBC":   "2.34",
	"GLIBCXX": "3.4.29",
	"CXXABI":  "1.3.13",
	"GCC":     "11.0",
}

// Libraries a provided:al2023 image has.
var al2023Libs = map[string]bool{
	"libc.so.6": true, "libm.so.6": true, "libgcc_s.so.1": true, "libstdc++.so.6": true,
	"ld-linux-x86-64.so.2": true, "ld-linux-aarch64.so.1": true, "libpthread.so.0": true, "libdl.so.2": true,
}

// tooNew reports whether a version need such as GLIBC_2.35 exceeds what AL2023 has.
func tooNew(need string) bool {
	family, version, ok := strings.Cut(need, "_")
	limit, known := al2023[family]
	if !ok || !known {
		return false
	}
	return compareVersions(version, limit) > 0
}

func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func TestTooNew(t *testing.T) {
	for need, want := range map[string]bool{
		"GLIBC_2.34": false, "GLIBC_2.35": true, "GLIBC_2.36": true, "GLIBC_2.2.5": false,
		"GLIBCXX_3.4.29": false, "GLIBCXX_3.4.30": true, "CXXABI_1.3.13": false, "CXXABI_1.3.14": true,
		"GCC_3.0": false, "GCC_12.0": true,
	} {
		if tooNew(need) != want {
			t.Errorf("tooNew(%s) = %v", need, !want)
		}
	}
}

// The binary `make bootstrap` builds must start on Amazon Linux 2023: it may
// need no glibc newer than 2.34, no GLIBCXX newer than 3.4.29, and no library
// the image lacks. The test command builds it and sets LAMBDUCK_BOOTSTRAP.
func TestBootstrapRunsOnAmazonLinux2023(t *testing.T) {
	checkBootstrap(t, "LAMBDUCK_BOOTSTRAP", elf.EM_X86_64)
}

// The same for the Graviton build (make bootstrap-arm64).
func TestBootstrapArm64RunsOnAmazonLinux2023(t *testing.T) {
	checkBootstrap(t, "LAMBDUCK_BOOTSTRAP_ARM64", elf.EM_AARCH64)
}

func checkBootstrap(t *testing.T, variable string, machine elf.Machine) {
	path := os.Getenv(variable)
	if path == "" {
		if os.Getenv("LAMBDUCK_INTEGRATION") == "1" {
			t.Fatalf("%s is not set: the test command builds it with make", variable)
		}
		t.Skipf("%s not set (make bootstrap / bootstrap-arm64, then set it)", variable)
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s is built for %s, want %s", path, f.Machine, machine)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range libs {
		if !al2023Libs[lib] {
			t.Errorf("needs %s, which provided:al2023 does not have", lib)
		}
	}
	needs, err := f.DynamicVersionNeeds()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, lib := range needs {
		for _, dep := range lib.Needs {
			seen++
			if tooNew(dep.Dep) {
				family, _, _ := strings.Cut(dep.Dep, "_")
				t.Errorf("needs %s from %s; Amazon Linux 2023 stops at %s_%s", dep.Dep, lib.Name, family, al2023[family])
			}
		}
	}
	if seen == 0 {
		t.Error("no version needs read: is this a dynamically linked binary?")
	}
}
