//! Two things done once at build time instead of at every start:
//!
//! 1. **The distro files in JSON.** `distros/*.toml` are embedded in the binary (`src/distro.rs`); each run parses
//!    the one or two its os-release points at. TOML costs several times what JSON costs to parse, so this script
//!    writes each file's data as JSON into `OUT_DIR/distros/`, and that is what is embedded. The TOML stays the
//!    source people edit; a unit test holds every JSON file to what its TOML file reads as.
//! 2. **libgcc's unwinder linked statically** (`libgcc_eh.a`) instead of `libgcc_s.so.1` loaded at every start.
//!    Rust's standard library asks the linker for `-lgcc_s` on `*-linux-gnu`. Loading that library costs each
//!    process about 120 µs here (its relocations, and its constructor's `CPUID` probes, which trap to the
//!    hypervisor in a VM): a twentieth of a `preflight` run. A linker script named `libgcc_s.so`, found first on
//!    the search path, hands the linker the static unwinder instead: the same `_Unwind_*` code linked into the
//!    binary, which is what `gcc -static-libgcc` does for C++ programs. glibc stays dynamic, so NSS (`getpwnam`
//!    for LDAP and sssd accounts) works as before. Only this package's binaries are linked so; a toolchain without
//!    `libgcc_eh.a` builds with `ROOTLESS_DOCTOR_DYNAMIC_LIBGCC=1`.
//!
//! The build reads the source tree and writes into OUT_DIR, not a host the doctor judges: the `clippy.toml` rule
//! that keeps the OS behind `src/host/` does not apply here.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    distros_as_json(&out.join("distros"));
    static_libgcc(&out.join("static-libgcc"));
}

fn distros_as_json(dir: &std::path::Path) {
    println!("cargo::rerun-if-changed=distros");
    // Written afresh each time, so a file removed from distros/ is gone here too, as in a clean build.
    if dir.exists() {
        fs::remove_dir_all(dir).expect("clear OUT_DIR/distros");
    }
    fs::create_dir_all(dir).expect("create OUT_DIR/distros");
    // Regular files named *.toml; an editor's hidden lock or backup file (`.#debian-12.toml`) is not data.
    let mut files: Vec<PathBuf> = fs::read_dir("distros")
        .expect("read distros/")
        .map(|e| e.expect("read distros/"))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for path in files {
        println!("cargo::rerun-if-changed={}", path.display());
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // toml's error names the line and column.
        let value: toml::Table =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json = serde_json::to_string(&value).expect("TOML data is JSON data");
        let stem = path.file_stem().expect("a file name").to_string_lossy();
        fs::write(dir.join(format!("{stem}.json")), json).expect("write OUT_DIR/distros/*.json");
    }
}

fn static_libgcc(dir: &std::path::Path) {
    // A toolchain without libgcc_eh.a (clang with compiler-rt and libunwind, zig) builds with this set.
    println!("cargo::rerun-if-env-changed=ROOTLESS_DOCTOR_DYNAMIC_LIBGCC");
    if env::var_os("ROOTLESS_DOCTOR_DYNAMIC_LIBGCC").is_some() {
        return;
    }
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let features = env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    // A fully static build (`crt-static`) links libgcc_eh already; other targets have other unwinders.
    if os != "linux" || target_env != "gnu" || features.split(',').any(|f| f == "crt-static") {
        return;
    }
    fs::create_dir_all(dir).expect("create OUT_DIR/static-libgcc");
    fs::write(dir.join("libgcc_s.so"), "INPUT(-lgcc_eh)\n")
        .expect("write the libgcc_s.so linker script");
    // The package's binaries only: its test programs, and the crates that depend on it (xtask, the fuzz targets,
    // whose libFuzzer is C++ with libstdc++ loading libgcc_s itself), link as usual.
    println!("cargo::rustc-link-arg-bins=-L{}", dir.display());
}
