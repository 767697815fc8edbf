//! Byte and substring search for the files every run reads (the dpkg status file, the kernel configuration), without
//! asking the CPU what it supports.
//!
//! memchr's top-level functions choose AVX2 at run time, and the first of them in a process pays for std's feature
//! detection: a series of `CPUID` instructions, each of which traps to the hypervisor on a virtual machine. On the CI
//! machine (a VM) that detection alone costs a one-line Rust program 55 µs, about a quarter of what `preflight` spends
//! above a bare process start. SSE2 is part of the x86_64 baseline, so memchr's SSE2 routines need no detection;
//! other architectures use memchr's portable entry points (aarch64's NEON needs no detection either).
//!
//! Both searches answer exactly what `memchr::memchr` and `memchr::memmem::find` answer (a property test holds them
//! to it); only the speed differs.
// The one place memchr's dispatching searches are named: the portable fallbacks off x86_64, and the reference the
// tests hold these to (clippy.toml disallows them elsewhere).
#![allow(clippy::disallowed_methods)]

/// A substring searcher built once for a needle.
pub struct Finder {
    needle: Vec<u8>,
    #[cfg(target_arch = "x86_64")]
    simd: Option<memchr::arch::x86_64::sse2::packedpair::Finder>,
    portable: memchr::arch::all::twoway::Finder,
}

impl Finder {
    pub fn new(needle: &[u8]) -> Finder {
        Finder {
            needle: needle.to_vec(),
            #[cfg(target_arch = "x86_64")]
            simd: memchr::arch::x86_64::sse2::packedpair::Finder::new(needle),
            portable: memchr::arch::all::twoway::Finder::new(needle),
        }
    }

    /// The offset of the first occurrence of the needle in `haystack`.
    pub fn find(&self, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = &self.simd
            && haystack.len() >= simd.min_haystack_len()
        {
            return simd.find(haystack, &self.needle);
        }
        self.portable.find(haystack, &self.needle)
    }

    /// Every occurrence's offset, in order, each search starting after the occurrence before (as memmem's iterator:
    /// occurrences do not overlap).
    pub fn find_iter<'h>(&'h self, haystack: &'h [u8]) -> impl Iterator<Item = usize> + 'h {
        let mut from = 0;
        std::iter::from_fn(move || {
            let at = from + self.find(haystack.get(from..)?)?;
            from = at + self.needle.len().max(1);
            Some(at)
        })
    }
}

/// The offset of the first `byte` in `haystack`.
pub fn find_byte(byte: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(byte) {
        return one.find(haystack);
    }
    #[cfg(not(target_arch = "x86_64"))]
    return memchr::memchr(byte, haystack);
    #[cfg(target_arch = "x86_64")]
    memchr::arch::all::memchr::One::new(byte).find(haystack)
}

/// The offset of the first byte in `haystack` that is `a` or `b`.
pub fn find_either(a: u8, b: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(two) = memchr::arch::x86_64::sse2::memchr::Two::new(a, b) {
        return two.find(haystack);
    }
    #[cfg(not(target_arch = "x86_64"))]
    return memchr::memchr2(a, b, haystack);
    #[cfg(target_arch = "x86_64")]
    memchr::arch::all::memchr::Two::new(a, b).find(haystack)
}

/// How many times `byte` occurs in `haystack`.
pub fn count_byte(byte: u8, haystack: &[u8]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(byte) {
        return one.count(haystack);
    }
    #[cfg(not(target_arch = "x86_64"))]
    return memchr::memchr_iter(byte, haystack).count();
    #[cfg(target_arch = "x86_64")]
    memchr::arch::all::memchr::One::new(byte).count(haystack)
}

/// The offset of the last `byte` in `haystack`.
pub fn rfind_byte(byte: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(byte) {
        return one.rfind(haystack);
    }
    #[cfg(not(target_arch = "x86_64"))]
    return memchr::memrchr(byte, haystack);
    #[cfg(target_arch = "x86_64")]
    memchr::arch::all::memchr::One::new(byte).rfind(haystack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_what_memchr_finds() {
        let hay = b"Package: a\nStatus: install ok installed\n\nPackage: b\n\n";
        let empty = Finder::new(b"\n\n");
        assert_eq!(empty.find(hay), memchr::memmem::find(hay, b"\n\n"));
        assert_eq!(
            empty.find_iter(hay).collect::<Vec<_>>(),
            memchr::memmem::find_iter(hay, b"\n\n").collect::<Vec<_>>()
        );
        // Shorter than the SIMD finder's minimum, and empty.
        assert_eq!(empty.find(b"\n\n"), Some(0));
        assert_eq!(empty.find(b"\n"), None);
        assert_eq!(empty.find(b""), None);
        assert_eq!(Finder::new(b"").find(b"abc"), Some(0));
        assert_eq!(find_byte(b'\n', hay), Some(10));
        assert_eq!(rfind_byte(b'\n', hay), Some(hay.len() - 1));
        assert_eq!(find_byte(b'x', b""), None);
        assert_eq!(count_byte(b'\n', hay), 5);
        assert_eq!(count_byte(b'\n', b""), 0);
        assert_eq!(
            find_either(b'V', b'v', b"Package: v\nVersion: 1\n"),
            Some(9)
        );
        // Occurrences do not overlap, as memmem's iterator has them.
        assert_eq!(
            Finder::new(b"aa").find_iter(b"aaaaa").collect::<Vec<_>>(),
            [0, 2]
        );
    }

    proptest! {
        #[test]
        fn agrees_with_memchr(hay in prop::collection::vec(prop::sample::select(b"ab\n#=".to_vec()), 0..300),
                              needle in prop::collection::vec(prop::sample::select(b"ab\n#=".to_vec()), 0..6),
                              byte in prop::sample::select(b"ab\n#=".to_vec())) {
            let finder = Finder::new(&needle);
            prop_assert_eq!(finder.find(&hay), memchr::memmem::find(&hay, &needle));
            prop_assert_eq!(
                finder.find_iter(&hay).collect::<Vec<_>>(),
                memchr::memmem::find_iter(&hay, &needle).collect::<Vec<_>>()
            );
            prop_assert_eq!(find_byte(byte, &hay), memchr::memchr(byte, &hay));
            prop_assert_eq!(find_either(byte, b'#', &hay), memchr::memchr2(byte, b'#', &hay));
            prop_assert_eq!(rfind_byte(byte, &hay), memchr::memrchr(byte, &hay));
            prop_assert_eq!(count_byte(byte, &hay), memchr::memchr_iter(byte, &hay).count());
        }
    }
}
