//! The nginx example config parses, when nginx is installed here; otherwise the test says so and passes
//! (fails under `SKVOZ_REQUIRE_TOOLS=1`, as in CI).

#[path = "support/tools.rs"]
mod tools;

use std::process::Command;

#[test]
fn nginx_example_config_is_valid() {
    let conf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/nginx/skvoz.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("large_client_header_buffers 4 1m;"));
    assert!(text.contains("/crm_httpAnalytics/hs/analytics"));
    let Ok(out) = Command::new("nginx").arg("-v").output() else {
        tools::missing("nginx is not installed here: packaging/nginx/skvoz.conf was not checked with `nginx -t`");
        return;
    };
    if !out.status.success() {
        tools::missing("nginx does not run here: the config was not checked");
        return;
    }
    if !std::path::Path::new("/etc/ssl/certs/ssl-cert-snakeoil.pem").exists() {
        tools::missing("no snakeoil certificate here (package ssl-cert): `nginx -t` skipped");
        return;
    }
    let out = Command::new("nginx").arg("-t").arg("-c").arg(&conf).output().unwrap();
    assert!(out.status.success(), "nginx -t failed: {}", String::from_utf8_lossy(&out.stderr));
}
