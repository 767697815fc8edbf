//! dockerd's flags against daemon.json, and dockerd's conflict error: CMDLINE 0xFF DAEMON.JSON, where CMDLINE is
//! NUL-separated like /proc/PID/cmdline (argv[0] included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::{dockerd, proc};

fuzz_target!(|data: &[u8]| {
    let [cmdline, json] = rootless_doctor_fuzz::split::<2>(data);
    let argv = proc::nul_list(cmdline);
    let (flags, _) = dockerd::parse_args(argv.get(1..).unwrap_or_default());
    for flag in &flags {
        let _ = (flag.config_key(), flag.go_value());
    }
    let file = dockerd::config_file(&flags, "/etc/docker/daemon.json");
    let Some(text) = rootless_doctor_fuzz::text(json) else {
        return;
    };
    let Ok(serde_json::Value::Object(config)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return;
    };
    for value in config.values() {
        let _ = dockerd::go_value(value);
    }
    let conflicts = dockerd::conflicts(&flags, &config);
    let _ = dockerd::conflict_error(file, &conflicts);
});
