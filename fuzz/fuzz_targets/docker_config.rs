//! The Docker CLI's config.json, context meta.json, and endpoint URLs (DOCKER_HOST, a context's Host).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::docker_config;

fuzz_target!(|data: &[u8]| {
    let Some(text) = rootless_doctor_fuzz::text(data) else {
        return;
    };
    let _ = docker_config::current_context(text);
    if let Ok(docker_config::ContextMeta {
        host: Some(host), ..
    }) = docker_config::context_meta(text)
    {
        let _ = docker_config::parse_endpoint(&host).url();
    }
    let _ = docker_config::parse_endpoint(text).url();
    let _ = docker_config::authority(text);
});
