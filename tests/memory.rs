//! Memory for hashing stays bounded under a sign-in flood (README, "Benchmarks"): 200 password
//! sign-ins at once grow the process by less than (N + 1) × 19 MiB + 20 MiB, N being the hashing
//! threads (2 in the test server), and the buffers are given back once idle. A test binary of its
//! own, so no other test's memory is counted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: failed setup should panic
#![cfg(target_os = "linux")] // reads the process's RSS from /proc

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// Hashing threads of the test server (`hash_concurrency(2)` in the helpers).
const HASHING_THREADS: u64 = 2;
const MIB: u64 = 1024 * 1024;

/// The process's resident set size, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

async fn sign_in(app: &TestApp) -> StatusCode {
    app.call(
        &browser(),
        "sign_in/start",
        &[("email", "flood@example.com"), ("password", PW)],
    )
    .await
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_sign_ins_keep_hashing_memory_bounded() {
    let app = Arc::new(
        spawn_app("[rate_limits]\nenabled = false\n[lockout]\nmax_attempts = 100000\n").await,
    );
    // Before any hash: what the server holds without a hashing buffer.
    let base = rss();
    app.create_user("flood@example.com", PW).await;
    // Warm up what every server allocates once (connection pools, the route list).
    assert_eq!(sign_in(&app).await, StatusCode::OK);
    let before = rss();

    // Sampled from a thread of its own, so a busy runtime cannot make it miss the peak.
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampling = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let app = app.clone();
        flood.spawn(async move { sign_in(&app).await });
    }
    let statuses = flood.join_all().await;
    done.store(true, Ordering::Relaxed);
    sampling.join().unwrap();
    peak.fetch_max(rss(), Ordering::Relaxed);

    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "every sign-in succeeds: {statuses:?}"
    );
    let grown = peak.load(Ordering::Relaxed).saturating_sub(before);
    eprintln!(
        "RSS grew by {} MiB during 200 concurrent sign-ins",
        grown / MIB
    );
    let bound = (HASHING_THREADS + 1) * 19 * MIB + 20 * MIB;
    assert!(
        grown < bound,
        "RSS grew by {} MiB during 200 concurrent sign-ins (bound {} MiB)",
        grown / MIB,
        bound / MIB
    );

    // Idle, the hashing threads give their buffers back: RSS stays less than N buffers above what
    // the process held before its first hash (the flood's 200 clients and sessions, and this
    // test's own HTTP clients, included); kept buffers would put it above.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let idle = rss().saturating_sub(base);
    eprintln!("RSS idle 2.5 s later: {} MiB above the base", idle / MIB);
    assert!(
        idle < HASHING_THREADS * 19 * MIB,
        "RSS stayed {} MiB above the base once idle",
        idle / MIB
    );
}
