//! /proc/PID/uid_map and gid_map.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::id_map;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    let (map, _) = id_map::parse(text);
    let _ = id_map::is_initial_namespace(&map);
    let _ = id_map::covers_inside(&map, 100_000, 65_536);
    let _ = id_map::covers_inside(&map, u64::MAX - 1, u64::MAX);
    for e in &map {
        let _ = id_map::covers_inside(&map, e.inside, e.count);
    }
    let _ = id_map::parse(&id_map::render(&map));
});
