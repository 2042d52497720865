//! argon2id hashing (m = 19 MiB, t = 2, p = 1) on a dedicated pool of exactly N threads (N = the
//! cores), each owning one block buffer reused for every hash while work keeps coming: so a flood
//! of sign-ins cannot starve the async threads that render pages, memory for hashing stays
//! N × 19 MiB however many requests wait, no hash of a busy spell pays the page faults of a fresh
//! 19 MiB allocation, and an idle server gives the buffers back.

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordVerifier, Version};
use std::sync::Arc;
use tokio::sync::oneshot;

/// The capacity of a hashing buffer, in 1 KiB blocks (33 MiB of address space).
const RESERVED_BLOCKS: usize = 33 * 1024;

/// Jobs that may wait per hashing thread (each about 15–20 ms of work): a flood beyond that is
/// answered `too_many_requests` at once instead of queueing passwords for seconds.
const QUEUE_PER_THREAD: usize = 128;

/// How long a hashing thread keeps its buffer without work.
const IDLE_FREE: std::time::Duration = std::time::Duration::from_secs(1);

/// Work for a hashing thread: it gets that thread's block buffer.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

#[derive(Clone)]
pub struct Hasher {
    jobs: flume::Sender<Job>,
    dummy_hash: Arc<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("hashing thread failed: {0}")]
    Thread(String),
    #[error("hashing pool closed")]
    Closed,
    /// The queue is full: the request is answered `too_many_requests` rather than kept waiting.
    #[error("too many passwords waiting to be hashed")]
    Busy,
}

fn params() -> Params {
    // The parameters are constants, so building them cannot fail; fall back to the defaults (which
    // are the same OWASP values in argon2 0.5) rather than panic.
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// Hashes synchronously (benchmarks and the dummy hash), with memory of its own.
pub fn hash_blocking(password: &str) -> Result<String, HashError> {
    hash_with(password, &mut Vec::new())
}

/// Verifies synchronously with memory of its own; a malformed stored hash verifies as false.
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// argon2id of `password` with `salt` into an output of `len` bytes, in `blocks` (grown once
/// to the size the parameters need, then reused).
fn compute(
    argon: &Argon2<'_>,
    blocks: &mut Vec<Block>,
    password: &[u8],
    salt: &[u8],
    len: usize,
) -> Result<Output, argon2::password_hash::Error> {
    let needed = argon.params().block_count();
    if blocks.len() < needed {
        // Reserved past glibc's largest dynamic mmap threshold (32 MiB), the buffer is always a
        // mapping of its own, unmapped when freed, so an idle pool gives its memory back; the
        // pages past `needed` are never touched and cost nothing.
        blocks.reserve_exact(needed.max(RESERVED_BLOCKS) - blocks.len());
        blocks.resize(needed, Block::default());
    }
    Output::init_with(len, |out| {
        argon
            .hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
            .map_err(Into::into)
    })
}

/// A new PHC-format hash of `password`, computed in `blocks`.
fn hash_with(password: &str, blocks: &mut Vec<Block>) -> Result<String, HashError> {
    let fail = |e: argon2::password_hash::Error| HashError::Hash(e.to_string());
    let salt = SaltString::generate(&mut OsRng);
    let mut raw_salt = [0u8; 64];
    let raw_salt = salt.as_salt().decode_b64(&mut raw_salt).map_err(fail)?;
    let argon = argon2();
    let output = compute(
        &argon,
        blocks,
        password.as_bytes(),
        raw_salt,
        Params::DEFAULT_OUTPUT_LEN,
    )
    .map_err(fail)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(fail)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Parameters a stored hash may ask for: a hash planted with a huge memory or time cost must not
/// grow a worker's buffer for good or hold a worker for minutes (such a hash never matches).
fn within_bounds(p: &Params) -> bool {
    p.m_cost() <= 64 * 1024 && p.t_cost() <= 10 && p.p_cost() <= 4
}

/// Does `password` match the PHC `hash`? Computed in `blocks` with the hash's own parameters;
/// the outputs are compared in constant time (`Output`'s equality).
fn verify_with(password: &str, hash: &str, blocks: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let argon = match (
        Algorithm::try_from(parsed.algorithm),
        Version::try_from(parsed.version.unwrap_or(0x13)),
        Params::try_from(&parsed),
    ) {
        (Ok(a), Ok(v), Ok(p)) if within_bounds(&p) => Argon2::new(a, v, p),
        _ => return false,
    };
    let mut raw_salt = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut raw_salt) else {
        return false;
    };
    compute(
        &argon,
        blocks,
        password.as_bytes(),
        raw_salt,
        expected.len(),
    )
    .is_ok_and(|out| out == expected)
}

/// Hashing yields the CPU to the threads that answer requests (nice 9 on Linux): under a flood
/// of sign-ins, session checks and pages keep their speed and the sign-ins wait their turn. Where
/// the OS refuses, hashing runs at the normal priority.
#[cfg(target_os = "linux")]
fn lower_priority() {
    use thread_priority::{set_current_thread_priority, ThreadPriority, ThreadPriorityValue};
    let Ok(value) = ThreadPriorityValue::try_from(HASHING_PRIORITY) else {
        return;
    };
    if let Err(e) = set_current_thread_priority(ThreadPriority::Crossplatform(value)) {
        tracing::warn!(error = ?e, "hashing threads run at the normal priority");
    }
}

/// Elsewhere the call may renice the whole process: hashing keeps the normal priority.
#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// thread-priority's cross-platform scale (0–99, 50 being normal); 25 is nice 9 on Linux.
#[cfg(target_os = "linux")]
const HASHING_PRIORITY: u8 = 25;

impl Hasher {
    /// `concurrency` is the number of hashing threads (the number of cores): at most that many
    /// hashes run at once, the rest wait their turn.
    pub fn new(concurrency: usize) -> Result<Self, HashError> {
        Self::with_queue(concurrency, concurrency.max(1) * QUEUE_PER_THREAD)
    }

    /// A pool of `concurrency` threads with room for `queue` waiting jobs.
    fn with_queue(concurrency: usize, queue: usize) -> Result<Self, HashError> {
        let dummy_hash = hash_blocking("vestibule-dummy-password-for-timing")?;
        let (jobs, queue) = flume::bounded::<Job>(queue);
        for n in 0..concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("vestibule-hash-{n}"))
                .spawn(move || {
                    lower_priority();
                    // The buffer is allocated by the first hash of a busy spell and reused for
                    // every hash while work keeps coming; a second without work frees it, so an
                    // idle server does not hold N × 19 MiB.
                    let mut blocks = Vec::new();
                    loop {
                        let next = match queue.recv_timeout(IDLE_FREE) {
                            Err(flume::RecvTimeoutError::Timeout) => {
                                blocks = Vec::new();
                                queue.recv().map_err(|_| ())
                            }
                            other => other.map_err(|_| ()),
                        };
                        match next {
                            Ok(job) => job(&mut blocks),
                            Err(()) => break, // every Hasher is gone
                        }
                    }
                })
                .map_err(|e| HashError::Thread(e.to_string()))?;
        }
        Ok(Self {
            jobs,
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// Runs `f` on a hashing thread with its buffer.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .try_send(Box::new(move |blocks| {
                // The request went away while this waited its turn: no work for nobody.
                if !tx.is_closed() {
                    let _ = tx.send(f(blocks));
                }
            }))
            .map_err(|e| match e {
                flume::TrySendError::Full(_) => HashError::Busy,
                flume::TrySendError::Disconnected(_) => HashError::Closed,
            })?;
        rx.await.map_err(|_| HashError::Closed)
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move |blocks| hash_with(&password, blocks)).await?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there is no user, so that
    /// an unknown email costs the same time as a wrong password.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let real = hash.is_some();
        let target = hash.unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let ok = self
            .run(move |blocks| verify_with(&password, &target, blocks))
            .await?;
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id_with_owasp_parameters() {
        let hasher = Hasher::new(2).unwrap();
        let hash = hasher.hash("correct horse".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher
            .verify("correct horse".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong horse".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
        // After an idle spell (the threads freed their buffers) the pool still serves.
        tokio::time::sleep(IDLE_FREE + std::time::Duration::from_millis(300)).await;
        assert!(hasher
            .verify("correct horse".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!verify_blocking("x", "not a hash"));
        assert!(!hasher
            .verify("x".into(), Some("not a hash".into()))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        // One thread, room for one waiting job: of three sent together, at most two are taken
        // (one by the thread, if it is already waiting, and one into the queue); the others are
        // refused without waiting.
        let hasher = Hasher::with_queue(1, 1).unwrap();
        let (a, b, c) = tokio::join!(
            hasher.hash("one".into()),
            hasher.hash("two".into()),
            hasher.hash("three".into())
        );
        let results = [a, b, c];
        let busy = results
            .iter()
            .filter(|r| matches!(r, Err(HashError::Busy)))
            .count();
        let done = results.iter().filter(|r| r.is_ok()).count();
        assert!(busy >= 1 && done >= 1 && busy + done == 3, "{results:?}");
        // The pool serves again once the queue drains.
        assert!(hasher.hash("four".into()).await.is_ok());
    }

    #[test]
    fn the_pooled_path_agrees_with_the_reference_implementation() {
        let mut blocks = Vec::new();
        // A hash made in reused memory verifies with argon2's own verifier, and the other way
        // round — also for other parameters than ours (a hash made before a change of them).
        let ours = hash_with("correct horse", &mut blocks).unwrap();
        assert!(verify_blocking("correct horse", &ours));
        assert!(!verify_blocking("correct horsf", &ours));
        let salt = SaltString::generate(&mut OsRng);
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 3, 1, None).unwrap(),
        )
        .hash_password(b"battery staple", &salt)
        .unwrap()
        .to_string();
        for hash in [&ours, &other, &ours] {
            let password = if hash == &other {
                "battery staple"
            } else {
                "correct horse"
            };
            assert!(verify_with(password, hash, &mut blocks), "{hash}");
            assert!(!verify_with("wrong", hash, &mut blocks), "{hash}");
        }
        assert_eq!(blocks.len(), 19 * 1024, "the buffer is reused, not shrunk");
        let huge = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 3, 1, None).unwrap(),
        )
        .hash_password(b"battery staple", &salt)
        .unwrap()
        .to_string()
        .replace("m=8192", "m=4000000");
        assert!(!verify_with("battery staple", &huge, &mut blocks));
        assert_eq!(blocks.len(), 19 * 1024, "nothing was allocated for it");
    }
}
