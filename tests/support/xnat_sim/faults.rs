//! Fault injection: added latency, a share of 500s, dropped connections, hangs and slow
//! (trickled) bodies. Every decision comes from a seeded PRNG keyed by the request's sequence
//! number, so a run with the same seed and the same request order sees the same faults.

use std::time::Duration;

/// What the simulator does to requests, switchable at runtime with `Sim::set_faults`.
/// Rates are shares of requests in `[0, 1]`; they add up (a request gets at most one of
/// error / drop / hang).
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Seed of the PRNG behind every decision.
    pub seed: u64,
    /// Added to every request before it is handled.
    pub latency: Duration,
    /// A further delay drawn per request, uniform in `[0, jitter]`: uneven latency, as real
    /// networks have, so concurrent clients' requests arrive in an order none of them chose.
    pub jitter: Duration,
    /// Answer every request under this path prefix that carries a body with 400 and a
    /// Jackson-style parse error that quotes the body (Spring's
    /// `HttpMessageNotReadableException` message can echo the input), so tests can check that
    /// nothing the client sent leaks back out through an error.
    pub echo_bodies: Option<String>,
    /// Answer GETs under this path prefix with 403 and an empty body (XNAT's access-level
    /// refusal, ref core §1.5), e.g. to make a client fall back from a listing.
    pub refuse: Option<String>,
    /// Answer this many login requests (`/data/JSESSION`) with 503 before letting one through.
    pub failed_logins: u32,
    /// Share of requests answered `500` with a plain-text body.
    pub error_rate: f64,
    /// Share of requests whose connection is closed without any response.
    pub drop_rate: f64,
    /// Share of requests held for `hang_for` before they are handled (a client timeout fires first).
    pub hang_rate: f64,
    pub hang_for: Duration,
    /// Share of responses whose body is sent in small chunks, `slow_chunk_delay` apart.
    pub slow_rate: f64,
    pub slow_chunk_delay: Duration,
    /// Of the errors and drops, the share that happen *after* the request took effect (the
    /// write is done but the client never learns it), as when XNAT or a proxy fails late.
    pub after_handler_share: f64,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            seed: 0,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            echo_bodies: None,
            failed_logins: 0,
            refuse: None,
            error_rate: 0.0,
            drop_rate: 0.0,
            hang_rate: 0.0,
            hang_for: Duration::from_secs(30),
            slow_rate: 0.0,
            slow_chunk_delay: Duration::from_millis(20),
            after_handler_share: 0.0,
        }
    }
}

impl Faults {
    /// No faults at all.
    pub fn none() -> Faults {
        Faults::default()
    }

    pub fn is_quiet(&self) -> bool {
        self.latency.is_zero()
            && self.jitter.is_zero()
            && self.echo_bodies.is_none()
            && self.failed_logins == 0
            && self.refuse.is_none()
            && self.error_rate <= 0.0
            && self.drop_rate <= 0.0
            && self.hang_rate <= 0.0
            && self.slow_rate <= 0.0
    }

    /// The fault for request number `seq`.
    pub fn decide(&self, seq: u64) -> Decision {
        let mut rng = SplitMix64::new(self.seed ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let roll = rng.next_f64();
        let after = rng.next_f64() < self.after_handler_share;
        let slow = rng.next_f64() < self.slow_rate;
        let kind = if roll < self.error_rate {
            FaultKind::Error
        } else if roll < self.error_rate + self.drop_rate {
            FaultKind::Drop
        } else if roll < self.error_rate + self.drop_rate + self.hang_rate {
            FaultKind::Hang
        } else {
            FaultKind::None
        };
        let delay = self.latency + self.jitter.mul_f64(rng.next_f64());
        Decision {
            kind,
            after,
            slow,
            delay,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    None,
    Error,
    Drop,
    Hang,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub kind: FaultKind,
    /// Error or drop after the handler ran.
    pub after: bool,
    /// Trickle the body.
    pub slow: bool,
    /// Latency plus this request's share of jitter.
    pub delay: Duration,
}

/// SplitMix64: tiny, seedable, good enough to spread faults; no dependency needed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `n` characters from `[A-Za-z0-9]`.
    pub fn alphanumeric(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| CHARS[(self.next_u64() % CHARS.len() as u64) as usize] as char)
            .collect()
    }

    /// A random (version 4 shaped) UUID.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}
