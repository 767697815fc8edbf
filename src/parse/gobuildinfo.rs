//! The build information a Go (1.18 or later) binary carries (`debug/buildinfo` in Go's standard library): the
//! Go version, the main package's path and the main module with its version. RootlessKit's module path carries its
//! major version (`github.com/rootless-containers/rootlesskit/v2`), so an unpackaged rootlesskit's major version
//! is read from its file, without running it.
//!
//! Layout (Go's `src/debug/buildinfo/buildinfo.go`): the 14-byte magic `\xff Go buildinf:`, a pointer size byte, a
//! flags byte (bit 1: strings inline, Go 1.18+), padding to 32 bytes, then two strings, each an unsigned varint
//! length and its bytes: the Go version and the module information. The module information is wrapped in 16-byte
//! sentinels; its lines are `path\tPKG`, `mod\tPATH\tVERSION\tSUM`, `dep\t…`, `build\t…`.

use std::fmt;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER: usize = 32;
const FLAG_INLINE: u8 = 0x2;
/// A string longer than this is not build information.
const MAX_STRING: u64 = 1 << 20;

/// What the build information says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// `go1.19.8`.
    pub go_version: String,
    /// The main package (`github.com/rootless-containers/rootlesskit/v2/cmd/rootlesskit`), when recorded.
    pub path: Option<String>,
    /// The main module's path and version (`(devel)` for a build from a checkout), when recorded.
    pub module: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// No `\xff Go buildinf:` in the file: not a Go binary, or one without build information.
    NoMagic,
    /// Go before 1.18 stores pointers to the strings, which would need the ELF sections to follow.
    NotInline { offset: usize },
    /// The header or a string runs past the end of the file, or a length is absurd.
    Truncated { offset: usize },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoMagic => write!(f, "no Go build information (not a Go 1.18+ binary)"),
            Error::NotInline { offset } => write!(
                f,
                "Go build information at byte {offset} stores pointers (built with Go before 1.18): not read"
            ),
            Error::Truncated { offset } => {
                write!(f, "Go build information truncated at byte {offset}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// The first build information block in `bytes`.
pub fn parse(bytes: &[u8]) -> Result<BuildInfo, Error> {
    let start = find(bytes, MAGIC).ok_or(Error::NoMagic)?;
    let header = bytes
        .get(start..start + HEADER)
        .ok_or(Error::Truncated { offset: start })?;
    if header[15] & FLAG_INLINE == 0 {
        return Err(Error::NotInline { offset: start });
    }
    let mut at = start + HEADER;
    let version = read_string(bytes, &mut at)?;
    let modinfo = read_string(bytes, &mut at)?;
    // Go wraps the module information in two 16-byte sentinels (runtime/debug's modinfo).
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        modinfo
    };
    let text = String::from_utf8_lossy(modinfo);
    let mut path = None;
    let mut module = None;
    for line in text.lines() {
        let mut fields = line.split('\t');
        match fields.next() {
            Some("path") => path = fields.next().map(str::to_owned),
            Some("mod") => {
                if let (Some(p), Some(v)) = (fields.next(), fields.next()) {
                    module = Some((p.to_owned(), v.to_owned()));
                }
            }
            _ => {}
        }
    }
    Ok(BuildInfo {
        go_version: String::from_utf8_lossy(version).into_owned(),
        path,
        module,
    })
}

/// The most bytes [`elf_section`] reads for one of the file's tables or for the section itself: a Go binary's
/// section headers take a few KB, its `.go.buildinfo` section (strings inline) a few KB too.
pub const ELF_READ_MAX: usize = 1 << 20;

/// The `.go.buildinfo` section of an ELF file, where Go's `debug/buildinfo` looks first, read through `read_at`
/// (at most `len` bytes from byte `offset` of the file): the ELF header, the section header table, the section
/// names, then the section. A static RootlessKit is an 8 MB binary, and its build information a few KB in it.
///
/// `None` when the file is not a 32- or 64-bit ELF file, has no such section (or one with no bytes in the file),
/// a table is larger than [`ELF_READ_MAX`], or a read comes back short: the caller then reads the whole file.
/// Layout: the System V ABI's ELF header and section header (elf(5)).
pub fn elf_section(read_at: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>) -> Option<Vec<u8>> {
    const NAME: &[u8] = b".go.buildinfo";
    const SHT_NOBITS: u32 = 8;
    let head = read_at(0, 64)?;
    if head.get(..4)? != b"\x7fELF" {
        return None;
    }
    let wide = match head.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let little = match head.get(5)? {
        1 => true,
        2 => false,
        _ => return None,
    };
    let int = |b: &[u8], at: usize, n: usize| -> Option<u64> {
        let bytes = b.get(at..at.checked_add(n)?)?;
        Some(bytes.iter().enumerate().fold(0u64, |v, (i, &x)| {
            let shift = 8 * if little { i } else { n - 1 - i };
            v | (u64::from(x) << shift)
        }))
    };
    let word = if wide { 8 } else { 4 };
    // e_shoff, then e_shentsize, e_shnum, e_shstrndx (two bytes each) at the end of the header.
    let (shoff, tail) = if wide { (0x28, 0x3A) } else { (0x20, 0x2E) };
    let table_at = int(&head, shoff, word)?;
    let entry = usize::try_from(int(&head, tail, 2)?).ok()?;
    let count = usize::try_from(int(&head, tail + 2, 2)?).ok()?;
    let names_index = usize::try_from(int(&head, tail + 4, 2)?).ok()?;
    // sh_name, sh_type, then sh_offset and sh_size after sh_flags and sh_addr.
    let (offset_at, min_entry) = if wide { (0x18, 0x40) } else { (0x10, 0x28) };
    if entry < min_entry || count == 0 || names_index >= count {
        return None;
    }
    let size = entry.checked_mul(count).filter(|&n| n <= ELF_READ_MAX)?;
    let table = read_at(table_at, size).filter(|t| t.len() == size)?;
    let section = |i: usize| -> Option<(u64, u64, u64, u64)> {
        let s = table.get(i * entry..(i + 1) * entry)?;
        Some((
            int(s, 0, 4)?,
            int(s, 4, 4)?,
            int(s, offset_at, word)?,
            int(s, offset_at + word, word)?,
        ))
    };
    let (_, _, names_at, names_size) = section(names_index)?;
    let names_size = usize::try_from(names_size)
        .ok()
        .filter(|&n| n <= ELF_READ_MAX)?;
    let names = read_at(names_at, names_size).filter(|n| n.len() == names_size)?;
    for i in 0..count {
        let (name, kind, at, size) = section(i)?;
        let name = names.get(usize::try_from(name).ok()?..)?;
        if name.starts_with(NAME) && name.get(NAME.len()) == Some(&0) {
            if kind == u64::from(SHT_NOBITS) {
                return None;
            }
            let size = usize::try_from(size).ok()?.min(ELF_READ_MAX);
            return read_at(at, size).filter(|b| b.len() == size);
        }
    }
    None
}

/// The build information of a whole file as the doctor reads it: its ELF `.go.buildinfo` section when that is there
/// and parses (as Go's `debug/buildinfo` looks there first), else the first block anywhere in the file. The live
/// run ([`crate::facts::Facts::go_build_info`], which reads only the section) and a capture (which keeps only
/// this of a large program) agree through it.
pub fn of_file(bytes: &[u8]) -> Result<BuildInfo, Error> {
    match of_section(&mut |offset, len| Some(crate::host::cut(bytes, offset, len))) {
        Some(info) => Ok(info),
        None => parse(bytes),
    }
}

/// The build information of the ELF `.go.buildinfo` section that `read_at` finds ([`elf_section`]), if it is there
/// and parses: the first half of [`of_file`], for a reader of pieces that reads the whole file only when this is
/// `None`.
pub fn of_section(read_at: &mut dyn FnMut(u64, usize) -> Option<Vec<u8>>) -> Option<BuildInfo> {
    parse(&elf_section(read_at)?).ok()
}

/// The major version a Go module path carries below `module` (`…/v2` is 2); `Some(1)` for a path without a
/// `/vN` suffix (major version 0 or 1); `None` when `path` is not `module` or below it.
pub fn module_major(path: &str, module: &str) -> Option<u64> {
    let rest = path.strip_prefix(module)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let first = rest.trim_start_matches('/').split('/').next().unwrap_or("");
    match first.strip_prefix('v').map(str::parse::<u64>) {
        Some(Ok(n)) if n >= 2 && !first[1..].starts_with('0') => Some(n),
        _ => Some(1),
    }
}

fn read_string<'a>(bytes: &'a [u8], at: &mut usize) -> Result<&'a [u8], Error> {
    let offset = *at;
    let mut len: u64 = 0;
    let mut shift = 0u32;
    loop {
        let b = *bytes.get(*at).ok_or(Error::Truncated { offset })?;
        *at += 1;
        if shift > 63 {
            return Err(Error::Truncated { offset });
        }
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    if len > MAX_STRING {
        return Err(Error::Truncated { offset });
    }
    let len = usize::try_from(len).map_err(|_| Error::Truncated { offset })?;
    let s = bytes
        .get(*at..at.saturating_add(len))
        .ok_or(Error::Truncated { offset })?;
    *at += len;
    Ok(s)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= haystack.len() {
        let pos = haystack[i..=haystack.len() - needle.len()]
            .iter()
            .position(|&b| b == first)?;
        i += pos;
        if &haystack[i..i + needle.len()] == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// A build information block as Go 1.18+ writes it (for tests and the fuzz target's round trip).
pub fn encode(go_version: &str, modinfo: &str) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.push(8);
    out.push(FLAG_INLINE);
    out.resize(HEADER, 0);
    for s in [go_version.as_bytes(), modinfo.as_bytes()] {
        let mut n = s.len() as u64;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
        out.extend_from_slice(s);
    }
    out
}

/// The sentinels Go puts around the module information.
pub const SENTINEL_START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
pub const SENTINEL_END: &[u8; 16] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn block(go: &str, modinfo: &str) -> Vec<u8> {
        let mut info = SENTINEL_START.to_vec();
        info.extend_from_slice(modinfo.as_bytes());
        info.extend_from_slice(SENTINEL_END);
        let mut out = MAGIC.to_vec();
        out.push(8);
        out.push(FLAG_INLINE);
        out.resize(HEADER, 0);
        out.push(go.len() as u8);
        out.extend_from_slice(go.as_bytes());
        let mut n = info.len();
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out.extend_from_slice(&info);
        out
    }

    #[test]
    fn debian_12_rootlesskit_1_1_0() {
        // The layout of Debian 12's /usr/bin/rootlesskit (1.1.0, go1.19.8): no `mod` line, a v1 path.
        let modinfo = "path\tgithub.com/rootless-containers/rootlesskit/cmd/rootlesskit\nbuild\t-compiler=gc\nbuild\tGOOS=linux\n";
        let mut file = vec![0u8; 4096];
        file.extend(block("go1.19.8", modinfo));
        file.extend([0u8; 100]);
        let info = parse(&file).unwrap();
        assert_eq!(info.go_version, "go1.19.8");
        let path = info.path.unwrap();
        assert_eq!(
            path,
            "github.com/rootless-containers/rootlesskit/cmd/rootlesskit"
        );
        assert_eq!(info.module, None);
        assert_eq!(
            module_major(&path, "github.com/rootless-containers/rootlesskit"),
            Some(1)
        );
    }

    #[test]
    fn an_upstream_v2_build() {
        let modinfo = "path\tgithub.com/rootless-containers/rootlesskit/v2/cmd/rootlesskit\nmod\tgithub.com/rootless-containers/rootlesskit/v2\tv2.3.4\th1:x=\n";
        let info = parse(&block("go1.23.4", modinfo)).unwrap();
        assert_eq!(
            info.module,
            Some((
                "github.com/rootless-containers/rootlesskit/v2".to_owned(),
                "v2.3.4".to_owned()
            ))
        );
        let m = "github.com/rootless-containers/rootlesskit";
        assert_eq!(module_major(info.path.as_deref().unwrap(), m), Some(2));
        assert_eq!(module_major(&format!("{m}/v3"), m), Some(3));
        assert_eq!(module_major(&format!("{m}/v02/x"), m), Some(1));
        assert_eq!(module_major(&format!("{m}x/v3"), m), None);
        assert_eq!(module_major("github.com/other/x", m), None);
    }

    #[test]
    fn errors_name_the_offset() {
        assert_eq!(parse(b"ELF nothing here"), Err(Error::NoMagic));
        let mut b = block("go1.16", "path\tx\n");
        b[15] = 0;
        assert_eq!(parse(&b), Err(Error::NotInline { offset: 0 }));
        let b = block("go1.22", "path\tx\n");
        assert_eq!(
            parse(&b[..b.len() - 3]).unwrap_err().to_string(),
            "Go build information truncated at byte 39"
        );
        assert!(matches!(
            parse(&b[..20]),
            Err(Error::Truncated { offset: 0 })
        ));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), at in 0usize..512) {
            let _ = parse(&bytes);
            // With the magic planted somewhere in the noise.
            let mut planted = bytes.clone();
            let at = at.min(planted.len());
            planted.splice(at..at, MAGIC.iter().copied());
            let _ = parse(&planted);
        }

        #[test]
        fn encoded_blocks_read_back(go in "go1\\.[0-9]{1,2}\\.[0-9]", path in "[a-z./]{1,40}", version in "v[0-9]\\.[0-9]\\.[0-9]") {
            let modinfo = format!("path\t{path}/cmd\nmod\t{path}\t{version}\th1:x=\n");
            let info = parse(&encode(&go, &modinfo)).unwrap();
            prop_assert_eq!(info.go_version, go);
            prop_assert_eq!(info.path, Some(format!("{path}/cmd")));
            prop_assert_eq!(info.module, Some((path, version)));
        }

        #[test]
        fn module_major_never_panics(path in ".{0,60}", module in ".{0,30}") {
            let _ = module_major(&path, &module);
        }
    }
}

#[cfg(test)]
mod elf_tests {
    use super::*;
    use proptest::prelude::*;

    /// An ELF file (64- or 32-bit, either byte order) with a null section, `sections` (name and bytes, laid out
    /// after the header in order), and `.shstrtab`; its section header table last, as linkers put it.
    fn elf(wide: bool, little: bool, sections: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let put = |out: &mut Vec<u8>, v: u64, n: usize| {
            for i in 0..n {
                let shift = 8 * if little { i } else { n - 1 - i };
                out.push((v >> shift) as u8);
            }
        };
        let word = if wide { 8 } else { 4 };
        let (header, entry) = if wide { (64, 64) } else { (52, 40) };
        let mut names = vec![0u8];
        let mut out = vec![0u8; header];
        let mut placed = vec![(0u64, 0u64, 0u64)]; // the null section
        let all: Vec<(&str, &[u8])> = sections
            .iter()
            .map(|(n, b)| (*n, b.as_slice()))
            .chain(std::iter::once((".shstrtab", &[][..])))
            .collect();
        let mut name_at = Vec::new();
        for (name, _) in &all {
            name_at.push(names.len() as u64);
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        for (i, (_, bytes)) in all.iter().enumerate() {
            let bytes = if i + 1 == all.len() {
                &names[..]
            } else {
                bytes
            };
            placed.push((name_at[i], out.len() as u64, bytes.len() as u64));
            out.extend_from_slice(bytes);
        }
        let table_at = out.len() as u64;
        for (i, &(name, at, size)) in placed.iter().enumerate() {
            put(&mut out, name, 4);
            put(&mut out, if i == 0 { 0 } else { 1 }, 4); // SHT_PROGBITS
            put(&mut out, 0, word); // flags
            put(&mut out, 0, word); // addr
            put(&mut out, at, word);
            put(&mut out, size, word);
            out.resize(table_at as usize + (i + 1) * entry, 0);
        }
        let mut head = b"\x7fELF".to_vec();
        head.extend([if wide { 2 } else { 1 }, if little { 1 } else { 2 }, 1]);
        head.resize(16, 0);
        put(&mut head, 2, 2); // ET_EXEC
        put(&mut head, 62, 2);
        put(&mut head, 1, 4);
        put(&mut head, 0, word); // entry
        put(&mut head, 0, word); // phoff
        put(&mut head, table_at, word);
        put(&mut head, 0, 4); // flags
        put(&mut head, header as u64, 2);
        put(&mut head, 0, 2); // phentsize
        put(&mut head, 0, 2); // phnum
        put(&mut head, entry as u64, 2);
        put(&mut head, placed.len() as u64, 2);
        put(&mut head, placed.len() as u64 - 1, 2); // .shstrtab is last
        assert_eq!(head.len(), header);
        out[..header].copy_from_slice(&head);
        out
    }

    /// `file` read as `elf_section` asks, with the bytes it read.
    fn section_of(file: &[u8]) -> (Option<Vec<u8>>, usize) {
        let mut read = 0;
        let found = elf_section(&mut |offset, len| {
            let bytes = crate::host::cut(file, offset, len);
            read += bytes.len();
            Some(bytes)
        });
        (found, read)
    }

    #[test]
    fn finds_the_section_in_both_classes_and_byte_orders_reading_little_of_the_file() {
        let info = encode(
            "go1.22.5",
            "path\tgithub.com/rootless-containers/rootlesskit/v2/cmd/rootlesskit\n",
        );
        for (wide, little) in [(true, true), (false, false), (true, false), (false, true)] {
            let file = elf(
                wide,
                little,
                &[
                    (".text", vec![0x90; 1 << 20]),
                    (".go.buildinfo.not", b"decoy".to_vec()),
                    (".go.buildinfo", info.clone()),
                    (".data", vec![1; 4096]),
                ],
            );
            let (found, read) = section_of(&file);
            assert_eq!(
                found.as_deref(),
                Some(&info[..]),
                "wide {wide}, little {little}"
            );
            assert!(read < 2048, "{read} bytes read of {}", file.len());
            assert_eq!(parse(&found.unwrap()), parse(&file));
        }
    }

    /// Found by review: a block before the section (another program's, or a decoy in `.rodata`) is not the one Go
    /// reads; the section's is, live and in a capture alike.
    #[test]
    fn regression_a_block_before_the_section_was_read_in_its_place() {
        let earlier = encode(
            "go1.19.8",
            "mod\tgithub.com/rootless-containers/rootlesskit\tv1.1.1\t\n",
        );
        let section = encode(
            "go1.22.5",
            "mod\tgithub.com/rootless-containers/rootlesskit/v2\tv2.3.4\t\n",
        );
        let file = elf(
            true,
            true,
            &[
                (".rodata", earlier.clone()),
                (".text", vec![0; 4096]),
                (".go.buildinfo", section.clone()),
            ],
        );
        assert_eq!(parse(&file), parse(&earlier));
        assert_eq!(of_file(&file), parse(&section));
        assert_eq!(section_of(&file).0.as_deref(), Some(&section[..]));
        // Without the section, the first block in the file answers, as before.
        assert_eq!(of_file(&earlier), parse(&earlier));
    }

    #[test]
    fn anything_else_is_left_to_the_whole_file() {
        // Not ELF (a fixture's stand-in: the block alone), no such section, a section with no bytes in the file.
        assert_eq!(section_of(&encode("go1.22.5", "")).0, None);
        assert_eq!(
            section_of(&elf(true, true, &[(".text", vec![1; 64])])).0,
            None
        );
        let mut nobits = elf(true, true, &[(".go.buildinfo", vec![1; 64])]);
        // Section 1's sh_type, in the table after the 64-byte header, the section and the names.
        let table = nobits.len() - 3 * 64;
        nobits[table + 64 + 4] = 8;
        assert_eq!(section_of(&nobits).0, None);
        // A read that fails or comes back short.
        let file = elf(true, true, &[(".go.buildinfo", vec![1; 64])]);
        assert_eq!(elf_section(&mut |_, _| None), None);
        assert_eq!(
            elf_section(&mut |o, l| Some(crate::host::cut(&file, o, l / 2 + 1))),
            None
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn the_section_is_the_one_named(
            sections in proptest::collection::vec(
                (prop_oneof![Just(".go.buildinfo"), Just(".text"), Just(".go.buildinfox"), Just("")],
                 proptest::collection::vec(any::<u8>(), 0..64)),
                0..5,
            ),
            wide: bool,
            little: bool,
        ) {
            let named: Vec<(&str, Vec<u8>)> = sections.iter().map(|(n, b)| (*n, b.clone())).collect();
            let file = elf(wide, little, &named);
            let expected = named.iter().find(|(n, _)| *n == ".go.buildinfo").map(|(_, b)| b.clone());
            prop_assert_eq!(section_of(&file).0, expected);
        }

        #[test]
        fn damaged_files_never_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            cut_to in any::<prop::sample::Index>(),
        ) {
            let mut file = elf(true, true, &[(".text", vec![7; 100]), (".go.buildinfo", encode("go1.2", "x"))]);
            for (at, byte) in flips {
                let i = at.index(file.len());
                file[i] = byte;
            }
            file.truncate(cut_to.index(file.len() + 1));
            let _ = section_of(&file);
        }
    }
}
