//! netplan YAML: device definitions, their `match:`, and several files merged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::netplan;

fuzz_target!(|data: &[u8]| {
    // Up to three files, read in order (`/etc/netplan/*.yaml` sorted).
    let files: Vec<(String, Vec<netplan::Device>)> = rootless_doctor_fuzz::split::<3>(data)
        .iter()
        .enumerate()
        .filter_map(|(i, part)| {
            let text = rootless_doctor_fuzz::text(part)?;
            Some((format!("/etc/netplan/{i}.yaml"), netplan::parse(text).0))
        })
        .collect();
    for device in netplan::merge(files) {
        for (iface, driver) in [
            ("docker0", "bridge"),
            ("veth1234", "veth"),
            ("eth0", "e1000e"),
        ] {
            let _ = device.catches(iface, driver);
        }
    }
});
