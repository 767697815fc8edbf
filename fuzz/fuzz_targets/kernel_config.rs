//! The kernel release, the kernel config (full parse and option-by-option `lookup`), /proc/config.gz, and the
//! module lists (`lists_module` over modules.dep and modules.builtin text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::kernel;

/// Some of the options the kernel checks ask about.
const OPTIONS: &[&str] = &[
    "CONFIG_NAMESPACES",
    "USER_NS",
    "CONFIG_OVERLAY_FS",
    "MEMCG_SWAP",
    "CONFIG_",
    "",
];

fn config(text: &str) {
    let (parsed, _) = kernel::parse_config(text);
    for option in OPTIONS {
        let _ = parsed.tristate(option);
        let _ = kernel::lookup(text, option);
    }
    // Options the input names itself.
    for name in parsed.options.keys().take(4) {
        let _ = kernel::lookup(text, name);
    }
}

fuzz_target!(|data: &[u8]| {
    if data.starts_with(&[0x1f, 0x8b]) {
        // /proc/config.gz
        if let Ok(text) = kernel::decompress_config_gz(data) {
            config(&text);
        }
        return;
    }
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    if let Some(version) = kernel::parse_release(text) {
        let _ = version.to_string();
    }
    config(text);
    for module in ["nf_tables", "ip_tables", "overlay", "", "a-b"] {
        let _ = kernel::lists_module(text, module);
    }
});
