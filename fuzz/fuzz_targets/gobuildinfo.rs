//! A Go binary's build information (`\xff Go buildinf:` and its inline strings), its ELF `.go.buildinfo` section
//! found by offsets (`elf_section`, reading the input as a file), and the module major version read from it, as
//! facts::start_programs reads an unpackaged rootlesskit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::gobuildinfo;

const RK_MODULE: &str = "github.com/rootless-containers/rootlesskit";

fuzz_target!(|data: &[u8]| {
    // The input as an ELF file: every read stays inside what `elf_section` allows.
    let section = gobuildinfo::elf_section(&mut |offset, len| {
        assert!(len <= gobuildinfo::ELF_READ_MAX.max(64));
        let start = usize::try_from(offset).map_or(data.len(), |o| o.min(data.len()));
        Some(data[start..start.saturating_add(len).min(data.len())].to_vec())
    });
    if let Some(section) = section {
        let _ = gobuildinfo::parse(&section);
    }
    if let Ok(info) = gobuildinfo::parse(data) {
        for p in info.path.iter().chain(info.module.iter().map(|(p, _)| p)) {
            let _ = gobuildinfo::module_major(p, RK_MODULE);
        }
    }
    // The same bytes as the module information of a well-formed block.
    if let Some(text) = rootless_doctor_fuzz::text(data).filter(|t| t.len() <= 1 << 20) {
        let block = gobuildinfo::encode("go1.23.4", text);
        let info = gobuildinfo::parse(&block).expect("an encoded block parses");
        assert_eq!(info.go_version, "go1.23.4");
    }
});
