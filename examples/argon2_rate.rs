//! Raw argon2id verifications per second with Vestibule's parameters, using as many threads as the
//! server's hashing semaphore allows (the cores). Used by `bench/run.sh` as the baseline.

use std::time::{Duration, Instant};
use vestibule::server::password::{hash_blocking, verify_blocking};

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let hash = match hash_blocking("Bench-password-123") {
        Ok(h) => h,
        Err(e) => {
            eprintln!("hashing failed: {e}");
            std::process::exit(1);
        }
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let hash = hash.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    if verify_blocking("Bench-password-123", &hash) {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    println!("{:.1}", total as f64 / start.elapsed().as_secs_f64());
}
